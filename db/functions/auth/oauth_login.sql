-- drop: drop function if exists auth.oauth_login(text, text, text, boolean, text, text, text);
-- Signs in through an OAuth provider's identity (provider, subject):
--  - a known identity signs its user in;
--  - a new identity links to an existing user by e-mail ONLY when the provider says the
--    address is verified (the original linked unverified addresses: account takeover);
--  - otherwise a new user is created (an unverified address is not stored on it).
-- Discord identities also set the user's discord_id when nobody else holds it.
create or replace function auth.oauth_login(
    p_provider text, p_subject text, p_email text, p_email_verified boolean,
    p_username_hint text, p_display_name text, p_avatar_url text
)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_user app.users;
    v_email text := case when p_email_verified then lower(nullif(p_email, '')) end;
begin
    select u.* into v_user from auth.identities i join app.users u on u.id = i.user_id
     where i.provider = p_provider and i.subject = p_subject and u.deleted_at is null;
    if not found then
        if v_email is not null then
            select * into v_user from app.users where lower(email) = v_email and deleted_at is null;
        end if;
        if v_user.id is null then
            insert into app.users (username, email, display_name, avatar_url)
            values (auth.unique_username(coalesce(nullif(p_username_hint, ''), split_part(p_email, '@', 1))),
                    v_email, left(p_display_name, 64), p_avatar_url)
            returning * into v_user;
        end if;
        insert into auth.identities (provider, subject, user_id, email, email_verified)
        values (p_provider, p_subject, v_user.id, lower(p_email), coalesce(p_email_verified, false))
        on conflict (provider, subject) do update set user_id = excluded.user_id;
    end if;
    update auth.identities set last_login_at = now(), email = lower(p_email), email_verified = coalesce(p_email_verified, false)
     where provider = p_provider and subject = p_subject;
    if p_provider = 'discord' and v_user.discord_id is distinct from p_subject
       and not exists (select 1 from app.users where discord_id = p_subject and id <> v_user.id) then
        update app.users set discord_id = p_subject, updated_at = now() where id = v_user.id returning * into v_user;
    end if;
    return auth.user_json(v_user);
end;
$$;

-- drop: drop function if exists auth.oauth_link(uuid, text, text, text, boolean);
-- Links a provider identity to a signed-in user (the OAuth link flow). A provider account
-- belongs to one xpcore account, and an account has at most one identity per provider:
--  'taken'   the identity (or, for Discord, its id as discord_id) belongs to another user;
--  'other'   this user already linked another account of that provider;
--  'linked'  done (also when it was already linked to this user); Discord sets discord_id.
create or replace function auth.oauth_link(
    p_user_id uuid, p_provider text, p_subject text, p_email text, p_email_verified boolean
)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_owner uuid;
    v_user app.users;
begin
    select * into v_user from app.users where id = p_user_id and deleted_at is null for update;
    if not found then
        return jsonb_build_object('status', 'gone');
    end if;
    select user_id into v_owner from auth.identities where provider = p_provider and subject = p_subject;
    if v_owner is not null and v_owner <> p_user_id then
        return jsonb_build_object('status', 'taken');
    end if;
    if v_owner is null then
        if exists (select 1 from auth.identities where provider = p_provider and user_id = p_user_id) then
            return jsonb_build_object('status', 'other');
        end if;
        if p_provider = 'discord'
           and exists (select 1 from app.users where discord_id = p_subject and id <> p_user_id) then
            return jsonb_build_object('status', 'taken');
        end if;
        insert into auth.identities (provider, subject, user_id, email, email_verified)
        values (p_provider, p_subject, p_user_id, lower(p_email), coalesce(p_email_verified, false));
    end if;
    if p_provider = 'discord' and v_user.discord_id is distinct from p_subject then
        update app.users set discord_id = p_subject, updated_at = now() where id = p_user_id returning * into v_user;
    end if;
    return jsonb_build_object('status', 'linked', 'user', auth.user_json(v_user));
end;
$$;

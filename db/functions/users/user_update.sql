-- drop: drop function if exists app.user_update(uuid, jsonb);
-- PATCH /users/me: only the fields present in p_patch change; a taken username is a 409
-- (the unique index raises 23505, which the API maps to 409). A time zone must be one that
-- PostgreSQL knows (pg_timezone_names), so that every day boundary computed from it works.
create or replace function app.user_update(p_id uuid, p_patch jsonb)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_user jsonb;
    v_zone text := p_patch->>'timezone';
begin
    if v_zone is not null and not exists (select from pg_timezone_names where name = v_zone) then
        raise exception 'unknown time zone %: use an IANA name such as Europe/Berlin', v_zone
            using errcode = 'XP422', detail = 'users.unknown_timezone';
    end if;
    update app.users u set
        username     = case when p_patch ? 'username' then p_patch->>'username' else u.username end,
        display_name = case when p_patch ? 'display_name' then p_patch->>'display_name' else u.display_name end,
        avatar_url   = case when p_patch ? 'avatar_url' then p_patch->>'avatar_url' else u.avatar_url end,
        bio          = case when p_patch ? 'bio' then p_patch->>'bio' else u.bio end,
        timezone     = coalesce(v_zone, u.timezone),
        updated_at   = now()
    where u.id = p_id and u.deleted_at is null
    returning auth.user_json(u) into v_user;
    return v_user;
end
$$;

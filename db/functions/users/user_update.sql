-- drop: drop function if exists app.user_update(uuid, jsonb);
-- PATCH /users/me: only the fields present in p_patch change; a taken username is a 409
-- (the unique index raises 23505, which the API maps to 409).
create or replace function app.user_update(p_id uuid, p_patch jsonb)
returns jsonb
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    update app.users u set
        username     = case when p_patch ? 'username' then p_patch->>'username' else u.username end,
        display_name = case when p_patch ? 'display_name' then p_patch->>'display_name' else u.display_name end,
        avatar_url   = case when p_patch ? 'avatar_url' then p_patch->>'avatar_url' else u.avatar_url end,
        bio          = case when p_patch ? 'bio' then p_patch->>'bio' else u.bio end,
        updated_at   = now()
    where u.id = p_id and u.deleted_at is null
    returning auth.user_json(u);
$$;

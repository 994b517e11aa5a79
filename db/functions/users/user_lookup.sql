-- drop: drop function if exists app.user_lookup(uuid, text);
-- For trusted services (API key scope users:read): a live user by id or Discord id.
create or replace function app.user_lookup(p_id uuid, p_discord_id text)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select auth.user_json(u) from app.users u
    where u.id = app.user_id_for(p_id, p_discord_id) and u.deleted_at is null;
$$;

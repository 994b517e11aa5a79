-- drop: drop function if exists app.user_lookup(uuid, text);
-- For trusted services (API key scope users:read): a live user by id or Discord id.
create or replace function app.user_lookup(p_id uuid, p_discord_id text)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select auth.user_json(u) from app.users u
    where u.deleted_at is null
      and ((p_id is not null and u.id = p_id) or (p_id is null and u.discord_id = p_discord_id));
$$;

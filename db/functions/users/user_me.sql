-- drop: drop function if exists app.user_me(uuid);
create or replace function app.user_me(p_id uuid)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select auth.user_json(u) from app.users u where u.id = p_id and u.deleted_at is null;
$$;

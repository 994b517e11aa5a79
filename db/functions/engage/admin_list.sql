-- drop: drop function if exists engage.admin_list();
-- GET /admin/achievements: every achievement's definition (retired ones too), by key.
create or replace function engage.admin_list()
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_agg(engage.achievement_json(a) order by a.key), '[]'::jsonb) from engage.achievements a;
$$;

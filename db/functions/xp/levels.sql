-- drop: drop function if exists xp.levels();
-- GET /api/v1/levels: the level curve.
create or replace function xp.levels()
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_agg(jsonb_build_object('level', level, 'xp_required', xp_required) order by level), '[]')
    from xp.level_curve;
$$;

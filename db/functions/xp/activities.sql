-- drop: drop function if exists xp.activities();
-- GET /api/v1/activities: active activity types.
create or replace function xp.activities()
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
        'key', key, 'name', name, 'unit', unit, 'xp_per_unit', xp_per_unit, 'mode', mode,
        'daily_cap_units', daily_cap_units, 'self_report', self_report, 'active', active) order by mode, key), '[]')
    from xp.activity_types where active;
$$;

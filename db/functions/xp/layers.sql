-- drop: drop function if exists xp.layers();
-- GET /api/v1/layers: the layers of both modes.
create or replace function xp.layers()
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
        'code', code, 'name', name, 'mode', mode, 'min_level', min_level, 'position', position) order by mode desc, position), '[]')
    from xp.layers;
$$;

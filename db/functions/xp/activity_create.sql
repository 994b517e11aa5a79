-- drop: drop function if exists xp.activity_create(jsonb);
-- POST /admin/activities. Keys are permanent: an activity is retired with active = false,
-- never deleted, so the ledger keeps its meaning.
create or replace function xp.activity_create(p jsonb)
returns jsonb
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    insert into xp.activity_types (key, name, unit, xp_per_unit, mode, daily_cap_units, self_report, active)
    values (p->>'key', p->>'name', p->>'unit', (p->>'xp_per_unit')::numeric, p->>'mode',
            (p->>'daily_cap_units')::numeric, coalesce((p->>'self_report')::boolean, false),
            coalesce((p->>'active')::boolean, true))
    returning jsonb_build_object('key', key, 'name', name, 'unit', unit, 'xp_per_unit', xp_per_unit, 'mode', mode,
        'daily_cap_units', daily_cap_units, 'self_report', self_report, 'active', active);
$$;

-- drop: drop function if exists xp.activity_update(text, jsonb);
-- PATCH /admin/activities/{key}: only the fields present change.
create or replace function xp.activity_update(p_key text, p jsonb)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v jsonb;
begin
    update xp.activity_types a set
        name = coalesce(p->>'name', a.name),
        unit = coalesce(p->>'unit', a.unit),
        xp_per_unit = coalesce((p->>'xp_per_unit')::numeric, a.xp_per_unit),
        daily_cap_units = case when p ? 'daily_cap_units' then (p->>'daily_cap_units')::numeric else a.daily_cap_units end,
        self_report = coalesce((p->>'self_report')::boolean, a.self_report),
        active = coalesce((p->>'active')::boolean, a.active),
        updated_at = now()
    where a.key = p_key
    returning jsonb_build_object('key', key, 'name', name, 'unit', unit, 'xp_per_unit', xp_per_unit, 'mode', mode,
        'daily_cap_units', daily_cap_units, 'self_report', self_report, 'active', active) into v;
    if v is null then
        raise exception 'no activity %', p_key using errcode = 'XP404', detail = 'xp.unknown_activity';
    end if;
    return v;
end;
$$;

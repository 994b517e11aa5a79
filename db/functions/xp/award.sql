-- drop: drop function if exists xp.award(uuid, text, numeric, text, text, timestamptz, jsonb);
-- Awards XP for an activity: XP = floor(units x xp_per_unit) after the daily cap in units (per
-- user, activity and UTC day). Exactly once per (source, idempotency key): a replay answers
-- the original result with replayed = true. Every error is raised before anything is written.
create or replace function xp.award(
    p_user_id uuid, p_activity text, p_units numeric, p_source text, p_idempotency_key text,
    p_occurred_at timestamptz default now(), p_metadata jsonb default '{}'::jsonb
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_activity xp.activity_types;
begin
    select * into v_activity from xp.activity_types where key = p_activity;
    if not found or not v_activity.active then
        raise exception 'no active activity %', p_activity using errcode = 'XP404';
    end if;
    if p_units is null or p_units = 'NaN'::numeric or p_units <= 0 then
        raise exception 'units must be a positive number' using errcode = 'XP422';
    end if;
    if p_units > 1000000 then
        raise exception 'units must be at most 1,000,000 per event' using errcode = 'XP422';
    end if;
    if p_source not in ('activity', 'self_report', 'bot') then
        raise exception 'source % does not award activities', p_source using errcode = 'XP422';
    end if;
    return xp.book(p_user_id, p_source, p_idempotency_key, coalesce(p_occurred_at, now()), p_metadata,
                   v_activity.mode, null, p_activity, p_units, v_activity.xp_per_unit, v_activity.daily_cap_units);
end;
$$;

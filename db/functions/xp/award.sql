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
    v_at timestamptz := coalesce(p_occurred_at, now());
    v_done jsonb;
    v_day date;
    v_used numeric;
    v_units numeric;
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
    perform xp.check_common(p_user_id, p_idempotency_key, v_at);

    v_done := xp.claim(p_user_id, p_source, p_idempotency_key);
    if v_done is not null then
        return v_done;
    end if;

    v_units := p_units;
    if v_activity.daily_cap_units is not null then
        v_day := (v_at at time zone 'UTC')::date;
        -- The user's lock (taken by xp.claim) serialises this read and the upsert below.
        select units into v_used from xp.daily_usage
         where user_id = p_user_id and activity_key = p_activity and day = v_day;
        v_units := least(p_units, greatest(v_activity.daily_cap_units - coalesce(v_used, 0), 0));
        insert into xp.daily_usage as d (user_id, activity_key, day, units)
        values (p_user_id, p_activity, v_day, v_units)
        on conflict (user_id, activity_key, day) do update set units = d.units + excluded.units;
    end if;

    return xp.apply(
        p_user_id, v_activity.mode, floor(v_units * v_activity.xp_per_unit)::integer, v_units, p_activity,
        p_source, p_idempotency_key, v_at,
        coalesce(p_metadata, '{}'::jsonb) || case when v_units < p_units
            then jsonb_build_object('requested_units', p_units) else '{}'::jsonb end,
        v_units < p_units);
end;
$$;

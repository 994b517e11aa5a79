-- drop: drop function if exists xp.award(uuid, text, numeric, text, text, timestamptz, jsonb, text);
-- Awards XP for an activity: XP = floor(units x xp_per_unit) after the daily cap in units (per
-- user, activity and UTC day). Exactly once per (source, scope, idempotency key): a replay of
-- the same request answers the original result with replayed = true; the same key with a
-- different request is XP409. p_scope is the caller's namespace (an API key id, a user id;
-- null: none), so two callers never share keys. The request's fingerprint: sha256 of the
-- resolved user id, the activity, the units as a number (5 = 5.0), occurred_at as sent (null
-- when not sent, to the microsecond, UTC) and the metadata as a JSON value (key order and
-- whitespace do not count; null = {}). Every error is raised before anything is written.
create or replace function xp.award(
    p_user_id uuid, p_activity text, p_units numeric, p_source text, p_idempotency_key text,
    p_occurred_at timestamptz default null, p_metadata jsonb default '{}'::jsonb, p_scope text default null
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
        raise exception 'no active activity %', p_activity using errcode = 'XP404', detail = 'xp.unknown_activity';
    end if;
    if p_units is null or p_units = 'NaN'::numeric or p_units <= 0 then
        raise exception 'units must be a positive number' using errcode = 'XP422', detail = 'xp.invalid_units';
    end if;
    if p_units > 1000000 then
        raise exception 'units must be at most 1,000,000 per event'
            using errcode = 'XP422', detail = 'xp.invalid_units';
    end if;
    if p_source not in ('activity', 'self_report', 'bot') then
        raise exception 'source % does not award activities', p_source
            using errcode = 'XP422', detail = 'xp.source_not_allowed';
    end if;
    return xp.book(p_user_id, p_source, p_idempotency_key, coalesce(p_occurred_at, now()), p_metadata,
                   v_activity.mode, null, p_activity, p_units, v_activity.xp_per_unit, v_activity.daily_cap_units,
                   p_scope,
                   sha256(convert_to(jsonb_build_array(
                       p_user_id, p_activity, trim_scale(p_units),
                       to_char(p_occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                       coalesce(p_metadata, '{}'::jsonb))::text, 'UTF8')));
end;
$$;

"""xp engine

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:53:24 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SCHEMA_UP = """
create schema xp;
comment on schema xp is 'xpcore XP engine: activities, the ledger, totals, levels, layers, seasons';

create table xp.activity_types (
    key             text primary key check (key ~ '^[a-z][a-z0-9_]{1,63}$'),
    name            text not null check (char_length(name) between 1 and 100),
    unit            text not null check (char_length(unit) between 1 and 32),
    xp_per_unit     numeric(12, 4) not null check (xp_per_unit > 0),
    mode            text not null check (mode in ('reality', 'cyber')),
    daily_cap_units numeric(14, 4) check (daily_cap_units > 0),
    self_report     boolean not null default false,
    active          boolean not null default true,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);

create table xp.level_curve (
    level       integer primary key check (level >= 1),
    xp_required bigint not null unique check (xp_required >= 0)
);

create table xp.layers (
    code      text primary key,
    name      text not null,
    mode      text not null check (mode in ('reality', 'cyber')),
    min_level integer not null check (min_level >= 1),
    position  integer not null,
    unique (mode, position)
);

create table xp.seasons (
    id        text primary key check (id ~ '^[0-9]{4}-[0-9]{2}$'),
    starts_at timestamptz not null,
    ends_at   timestamptz not null,
    status    text not null check (status in ('upcoming', 'active', 'closed')),
    closed_at timestamptz
);

-- The append-only ledger, partitioned by month of occurred_at. Nothing updates or deletes a
-- row; a correction is a compensating row. Uniqueness of (source, key) lives in
-- xp.idempotency because a partitioned table's unique keys must include occurred_at.
create table xp.ledger (
    id              bigint generated always as identity,
    user_id         uuid not null references app.users (id),
    activity_key    text references xp.activity_types (key),
    source          text not null check (source in ('activity', 'self_report', 'bot', 'challenge', 'adjustment', 'purchase')),
    mode            text check (mode in ('reality', 'cyber')),
    units           numeric(14, 4),
    xp              integer not null,
    idempotency_key text not null,
    occurred_at     timestamptz not null,
    created_at      timestamptz not null default now(),
    metadata        jsonb not null default '{}'::jsonb,
    season_id       text not null,
    primary key (id, occurred_at)
) partition by range (occurred_at);
create table xp.ledger_default partition of xp.ledger default;
create index ledger_user on xp.ledger (user_id, id desc);
create index ledger_day on xp.ledger (occurred_at);

create table xp.idempotency (
    source          text not null,
    idempotency_key text not null,
    user_id         uuid not null,
    event_id        bigint,
    result          jsonb not null default '{}'::jsonb,
    created_at      timestamptz not null default now(),
    primary key (source, idempotency_key)
);

-- Per-user totals, always equal to the ledger sums (maintained by xp.apply under a row lock).
create table xp.totals (
    user_id       uuid primary key references app.users (id),
    total_xp      bigint not null default 0 check (total_xp >= 0),
    level         integer not null default 1,
    reality_xp    bigint not null default 0 check (reality_xp >= 0),
    reality_level integer not null default 1,
    reality_layer text,
    cyber_xp      bigint not null default 0 check (cyber_xp >= 0),
    cyber_level   integer not null default 1,
    cyber_layer   text,
    reached_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index totals_rank on xp.totals (total_xp desc, reached_at, user_id);

create table xp.daily_usage (
    user_id      uuid not null,
    activity_key text not null,
    day          date not null,
    units        numeric(16, 4) not null default 0,
    primary key (user_id, activity_key, day)
);

-- Season score per (season, mode, user), maintained by every award; ranked by xp desc, then
-- whoever reached that XP first, then user id.
create table xp.season_scores (
    season_id  text not null references xp.seasons (id),
    mode       text not null check (mode in ('reality', 'cyber')),
    user_id    uuid not null references app.users (id),
    xp         bigint not null default 0 check (xp >= 0),
    reached_at timestamptz not null,
    primary key (season_id, mode, user_id)
);
create index season_scores_rank on xp.season_scores (season_id, mode, xp desc, reached_at, user_id);
"""

SCHEMA_DOWN = """
drop schema xp cascade;
"""

# Reference data, so a new database is usable at once (xpcore seed ... reloads the same).
DATA_UP = """
select xp.seed_activities();
select xp.seed_layers();
select xp.generate_curve('default', 100);
select xp.ensure_ledger_partitions(now() - interval '2 months', 6);
"""

FUNCTIONS: dict[str, str] = {
    'app/user_public.sql': """-- drop: drop function if exists app.user_public(text);
-- The public face of a user, by username (case-insensitive): profile fields, level and the
-- layer of each mode; null when unknown or deleted.
create or replace function app.user_public(p_username text)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'id', u.id,
        'username', u.username,
        'display_name', u.display_name,
        'avatar_url', u.avatar_url,
        'bio', u.bio,
        'created_at', u.created_at,
        'level', coalesce(t.level, 1),
        'layers', jsonb_build_object(
            'reality', coalesce(t.reality_layer, (select code from xp.layers where mode = 'reality' order by min_level limit 1)),
            'cyber', coalesce(t.cyber_layer, (select code from xp.layers where mode = 'cyber' order by min_level limit 1)))
    )
    from app.users u
    left join xp.totals t on t.user_id = u.id
    where lower(u.username) = lower(p_username)
      and u.deleted_at is null;
$$;
""",
    'xp/activities.sql': """-- drop: drop function if exists xp.activities();
-- GET /api/v1/activities: active activity types.
create or replace function xp.activities()
returns jsonb
language sql
stable
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
        'key', key, 'name', name, 'unit', unit, 'xp_per_unit', xp_per_unit, 'mode', mode,
        'daily_cap_units', daily_cap_units, 'self_report', self_report, 'active', active) order by mode, key), '[]')
    from xp.activity_types where active;
$$;
""",
    'xp/activity_create.sql': """-- drop: drop function if exists xp.activity_create(jsonb);
-- POST /admin/activities. Keys are permanent: an activity is retired with active = false,
-- never deleted, so the ledger keeps its meaning.
create or replace function xp.activity_create(p jsonb)
returns jsonb
language sql
volatile
as $$
    insert into xp.activity_types (key, name, unit, xp_per_unit, mode, daily_cap_units, self_report, active)
    values (p->>'key', p->>'name', p->>'unit', (p->>'xp_per_unit')::numeric, p->>'mode',
            (p->>'daily_cap_units')::numeric, coalesce((p->>'self_report')::boolean, false),
            coalesce((p->>'active')::boolean, true))
    returning jsonb_build_object('key', key, 'name', name, 'unit', unit, 'xp_per_unit', xp_per_unit, 'mode', mode,
        'daily_cap_units', daily_cap_units, 'self_report', self_report, 'active', active);
$$;
""",
    'xp/activity_update.sql': """-- drop: drop function if exists xp.activity_update(text, jsonb);
-- PATCH /admin/activities/{key}: only the fields present change.
create or replace function xp.activity_update(p_key text, p jsonb)
returns jsonb
language plpgsql
volatile
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
        raise exception 'no activity %', p_key using errcode = 'XP404';
    end if;
    return v;
end;
$$;
""",
    'xp/adjust.sql': """-- drop: drop function if exists xp.adjust(uuid, uuid, integer, text, text, text);
-- An admin's compensating event: the only way to negative XP (never below a zero total).
-- Ledger rows are never updated or deleted; a correction is another row. Without a mode it
-- changes the total only; with one, that mode's XP and season score too.
create or replace function xp.adjust(
    p_admin_id uuid, p_user_id uuid, p_xp integer, p_reason text, p_idempotency_key text, p_mode text default null
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_done jsonb;
begin
    if p_xp is null or p_xp = 0 or abs(p_xp) > 1000000000 then
        raise exception 'xp must be a non-zero amount' using errcode = 'XP422';
    end if;
    if p_reason is null or char_length(p_reason) < 3 then
        raise exception 'a reason is required' using errcode = 'XP422';
    end if;
    if p_mode is not null and p_mode not in ('reality', 'cyber') then
        raise exception 'mode must be reality or cyber' using errcode = 'XP422';
    end if;
    perform xp.check_common(p_user_id, p_idempotency_key, now());
    v_done := xp.claim(p_user_id, 'adjustment', p_idempotency_key);
    if v_done is not null then
        return v_done;
    end if;
    return xp.apply(p_user_id, p_mode, p_xp, null, null, 'adjustment', p_idempotency_key, now(),
        jsonb_build_object('reason', p_reason, 'admin_id', p_admin_id), false);
end;
$$;
""",
    'xp/apply.sql': """-- drop: drop function if exists xp.apply(uuid, text, integer, numeric, text, text, text, timestamptz, jsonb, boolean);
-- Books one claimed award (see xp.claim, which holds the user's lock): the ledger row, the
-- user's totals, levels and layers, the season score of the mode, level-up and layer-up
-- notifications, and the answer stored for replays. Keyed by user: O(1) whatever the ledger size.
create or replace function xp.apply(
    p_user_id uuid, p_mode text, p_xp integer, p_units numeric, p_activity text, p_source text, p_key text,
    p_occurred_at timestamptz, p_metadata jsonb, p_capped boolean
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_before xp.totals;
    v_after xp.totals;
    v_season xp.seasons;
    v_event_id bigint;
    v_season_xp bigint := 0;
    v_result jsonb;
begin
    select * into v_season from xp.seasons
     where id = to_char(p_occurred_at at time zone 'UTC', 'YYYY-MM');
    if not found then
        v_season := xp.season_for(p_occurred_at);
    end if;
    if v_season.status = 'closed' then
        raise exception 'season % is closed; XP can no longer count toward it', v_season.id using errcode = 'XP422';
    end if;
    select * into v_before from xp.totals where user_id = p_user_id;
    if v_before.total_xp + p_xp < 0
       or (p_mode = 'reality' and v_before.reality_xp + p_xp < 0)
       or (p_mode = 'cyber' and v_before.cyber_xp + p_xp < 0) then
        raise exception 'this adjustment would make XP negative' using errcode = 'XP422';
    end if;

    insert into xp.ledger (user_id, activity_key, source, mode, units, xp, idempotency_key, occurred_at, metadata, season_id)
    values (p_user_id, p_activity, p_source, p_mode, p_units, p_xp, p_key, p_occurred_at, coalesce(p_metadata, '{}'), v_season.id)
    returning id into v_event_id;

    -- One update: the new sums, and level and layer recomputed only where the sum moved.
    update xp.totals t set
        total_xp = t.total_xp + p_xp,
        level = xp.level_for(t.total_xp + p_xp),
        reality_xp = t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end,
        reality_level = case when p_mode = 'reality' then xp.level_for(t.reality_xp + p_xp) else t.reality_level end,
        reality_layer = case when p_mode = 'reality' or t.reality_layer is null
                             then xp.layer_for('reality', xp.level_for(t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end))
                             else t.reality_layer end,
        cyber_xp = t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end,
        cyber_level = case when p_mode = 'cyber' then xp.level_for(t.cyber_xp + p_xp) else t.cyber_level end,
        cyber_layer = case when p_mode = 'cyber' or t.cyber_layer is null
                           then xp.layer_for('cyber', xp.level_for(t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end))
                           else t.cyber_layer end,
        reached_at = case when p_xp <> 0 then now() else t.reached_at end,
        updated_at = now()
    where t.user_id = p_user_id
    returning * into v_after;

    if p_mode is not null then
        insert into xp.season_scores as s (season_id, mode, user_id, xp, reached_at)
        values (v_season.id, p_mode, p_user_id, greatest(p_xp, 0), now())
        on conflict (season_id, mode, user_id) do update
            set xp = greatest(s.xp + p_xp, 0),
                reached_at = case when p_xp <> 0 then now() else s.reached_at end
        returning xp into v_season_xp;
    end if;

    if v_after.level > v_before.level then
        perform notify.enqueue(p_user_id, 'level_up', format('Level %s!', v_after.level),
            format('You reached level %s with %s XP.', v_after.level, v_after.total_xp),
            jsonb_build_object('level', v_after.level, 'previous_level', v_before.level, 'total_xp', v_after.total_xp),
            format('level:%s', v_after.level));
    end if;
    if v_after.reality_layer is distinct from v_before.reality_layer and v_after.reality_level > v_before.reality_level then
        perform notify.enqueue(p_user_id, 'layer_up', format('New reality layer: %s', v_after.reality_layer),
            format('Your reality level %s opened layer %s.', v_after.reality_level, v_after.reality_layer),
            jsonb_build_object('mode', 'reality', 'layer', v_after.reality_layer, 'level', v_after.reality_level),
            format('layer:reality:%s', v_after.reality_layer));
    end if;
    if v_after.cyber_layer is distinct from v_before.cyber_layer and v_after.cyber_level > v_before.cyber_level then
        perform notify.enqueue(p_user_id, 'layer_up', format('New cyber layer: %s', v_after.cyber_layer),
            format('Your cyber level %s opened layer %s.', v_after.cyber_level, v_after.cyber_layer),
            jsonb_build_object('mode', 'cyber', 'layer', v_after.cyber_layer, 'level', v_after.cyber_level),
            format('layer:cyber:%s', v_after.cyber_layer));
    end if;

    v_result := jsonb_build_object(
        'event_id', v_event_id,
        'user_id', p_user_id,
        'xp_awarded', p_xp,
        'capped', p_capped,
        'mode', p_mode,
        'total_xp', v_after.total_xp,
        'level', v_after.level,
        'leveled_up', v_after.level > v_before.level,
        'modes', jsonb_build_object(
            'reality', jsonb_build_object('xp', v_after.reality_xp, 'level', v_after.reality_level, 'layer', v_after.reality_layer),
            'cyber', jsonb_build_object('xp', v_after.cyber_xp, 'level', v_after.cyber_level, 'layer', v_after.cyber_layer)),
        'season_id', v_season.id,
        'season_xp', v_season_xp,
        'replayed', false);
    insert into xp.idempotency (source, idempotency_key, user_id, event_id, result)
    values (p_source, p_key, p_user_id, v_event_id, v_result);
    return v_result;
end;
$$;
""",
    'xp/award.sql': """-- drop: drop function if exists xp.award(uuid, text, numeric, text, text, timestamptz, jsonb);
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
""",
    'xp/award_event.sql': """-- drop: drop function if exists xp.award_event(uuid, text, text, numeric, text, timestamptz, jsonb, uuid);
-- POST /xp/events: resolves the user by id or Discord id, then awards. p_self_only is the
-- caller's own id when a user token (not a trusted API key) is calling: then only
-- self_report activities, only on themselves, and their keys live in their own namespace.
create or replace function xp.award_event(
    p_user_id uuid, p_discord_id text, p_activity text, p_units numeric, p_idempotency_key text,
    p_occurred_at timestamptz, p_metadata jsonb, p_self_only uuid
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_user_id uuid := p_user_id;
begin
    if v_user_id is null then
        select id into v_user_id from app.users where discord_id = p_discord_id and deleted_at is null;
        if v_user_id is null then
            raise exception 'no user with discord_id %', p_discord_id using errcode = 'XP404';
        end if;
    end if;
    if p_self_only is null then
        return xp.award(v_user_id, p_activity, p_units, 'activity', p_idempotency_key, p_occurred_at, p_metadata);
    end if;
    if v_user_id <> p_self_only then
        raise exception 'a user token can only award XP to its own user' using errcode = 'XP403';
    end if;
    if not exists (select 1 from xp.activity_types where key = p_activity and self_report) then
        if not exists (select 1 from xp.activity_types where key = p_activity and active) then
            raise exception 'no active activity %', p_activity using errcode = 'XP404';
        end if;
        raise exception 'activity % cannot be self-reported; it needs a trusted service', p_activity using errcode = 'XP403';
    end if;
    return xp.award(v_user_id, p_activity, p_units, 'self_report', p_self_only::text || ':' || p_idempotency_key,
                    p_occurred_at, p_metadata);
end;
$$;
""",
    'xp/award_fixed.sql': """-- drop: drop function if exists xp.award_fixed(uuid, text, integer, text, text, timestamptz, jsonb);
-- Awards a fixed positive amount in a mode, for sources that pay by rule rather than by
-- activity units (a solved challenge). Same once-only guarantee and answer as xp.award.
create or replace function xp.award_fixed(
    p_user_id uuid, p_mode text, p_xp integer, p_source text, p_idempotency_key text,
    p_occurred_at timestamptz default now(), p_metadata jsonb default '{}'::jsonb
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_at timestamptz := coalesce(p_occurred_at, now());
    v_done jsonb;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'mode must be reality or cyber' using errcode = 'XP422';
    end if;
    if p_xp is null or p_xp <= 0 or p_xp > 1000000 then
        raise exception 'xp must be between 1 and 1,000,000' using errcode = 'XP422';
    end if;
    if p_source not in ('challenge', 'bot', 'purchase') then
        raise exception 'source % cannot award fixed XP', p_source using errcode = 'XP422';
    end if;
    perform xp.check_common(p_user_id, p_idempotency_key, v_at);
    v_done := xp.claim(p_user_id, p_source, p_idempotency_key);
    if v_done is not null then
        return v_done;
    end if;
    return xp.apply(p_user_id, p_mode, p_xp, null, null, p_source, p_idempotency_key, v_at, p_metadata, false);
end;
$$;
""",
    'xp/can_access.sql': """-- drop: drop function if exists xp.can_access(uuid, text);
-- Event gating: has the user reached this layer (in the layer's own mode)?
create or replace function xp.can_access(p_user_id uuid, p_layer_code text)
returns boolean
language sql
stable
as $$
    select coalesce((
        select case l.mode when 'reality' then coalesce(t.reality_level, 1) else coalesce(t.cyber_level, 1) end >= l.min_level
        from xp.layers l
        left join xp.totals t on t.user_id = p_user_id
        where l.code = p_layer_code
    ), false);
$$;
""",
    'xp/check_common.sql': """-- drop: drop function if exists xp.check_common(uuid, text, timestamptz);
-- Input checks shared by every award, before anything is written.
create or replace function xp.check_common(p_user_id uuid, p_key text, p_occurred_at timestamptz)
returns void
language plpgsql
stable
as $$
begin
    if p_key is null or char_length(p_key) not between 1 and 200 then
        raise exception 'idempotency_key must be 1 to 200 characters' using errcode = 'XP422';
    end if;
    if p_occurred_at > now() + interval '5 minutes' then
        raise exception 'occurred_at is in the future' using errcode = 'XP422';
    end if;
    if p_occurred_at < now() - interval '31 days' then
        raise exception 'occurred_at is more than 31 days ago' using errcode = 'XP422';
    end if;
    if not exists (select 1 from app.users where id = p_user_id and deleted_at is null) then
        raise exception 'no user %', p_user_id using errcode = 'XP404';
    end if;
end;
$$;
""",
    'xp/claim.sql': """-- drop: drop function if exists xp.claim(uuid, text, text);
-- First step of every award, in the award's transaction: lock the user's totals row (created if
-- new) — always this row first, so two awards for one user queue instead of deadlocking — then
-- look (source, idempotency key) up. Returns the original answer when the key was used before
-- (a replay), else null. While the lock is held no other award for this user can book the key;
-- xp.apply stores it, and the primary key refuses the same key for another user.
create or replace function xp.claim(p_user_id uuid, p_source text, p_key text)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_done xp.idempotency;
begin
    perform 1 from xp.totals where user_id = p_user_id for update;
    if not found then
        insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;
        perform 1 from xp.totals where user_id = p_user_id for update;
    end if;
    select * into v_done from xp.idempotency where source = p_source and idempotency_key = p_key;
    if not found then
        return null;
    end if;
    if v_done.user_id <> p_user_id then
        raise exception 'idempotency key % was already used for another user', p_key using errcode = 'XP409';
    end if;
    return v_done.result || jsonb_build_object('replayed', true);
end;
$$;
""",
    'xp/ensure_ledger_partitions.sql': """-- drop: drop function if exists xp.ensure_ledger_partitions(timestamptz, integer);
-- Creates the monthly ledger partitions from p_from's month for p_months months (idempotent).
-- A cron job keeps three months ahead; the default partition only catches outliers.
create or replace function xp.ensure_ledger_partitions(p_from timestamptz, p_months integer)
returns integer
language plpgsql
volatile
as $$
declare
    v_month timestamptz;
    v_name text;
    v_created integer := 0;
begin
    for i in 0 .. p_months - 1 loop
        v_month := (date_trunc('month', p_from at time zone 'UTC') + make_interval(months => i)) at time zone 'UTC';
        v_name := 'ledger_' || to_char(v_month at time zone 'UTC', 'YYYY_MM');
        if to_regclass('xp.' || v_name) is null then
            execute format(
                'create table xp.%I partition of xp.ledger for values from (%L) to (%L)',
                v_name, v_month, v_month + interval '1 month');
            v_created := v_created + 1;
        end if;
    end loop;
    return v_created;
end;
$$;
""",
    'xp/events_page.sql': """-- drop: drop function if exists xp.events_page(uuid, bigint, integer);
-- The user's XP events, newest first, keyset-paginated by event id.
create or replace function xp.events_page(p_user_id uuid, p_cursor bigint, p_limit integer)
returns jsonb
language sql
stable
as $$
    with page as (
        select id, activity_key, source, mode, units, xp, occurred_at, created_at, metadata
        from xp.ledger
        where user_id = p_user_id and (p_cursor is null or id < p_cursor)
        order by id desc
        limit least(greatest(p_limit, 1), 100) + 1
    ), shown as (
        select * from page order by id desc limit least(greatest(p_limit, 1), 100)
    )
    select jsonb_build_object(
        'items', coalesce((select jsonb_agg(jsonb_build_object(
            'id', id, 'activity', activity_key, 'source', source, 'mode', mode, 'units', units, 'xp', xp,
            'occurred_at', occurred_at, 'created_at', created_at, 'metadata', metadata) order by id desc) from shown), '[]'),
        'next_cursor', case when (select count(*) from page) > least(greatest(p_limit, 1), 100)
                            then (select min(id) from shown)::text end);
$$;
""",
    'xp/generate_curve.sql': """-- drop: drop function if exists xp.generate_curve(text, integer);
-- Fills the level curve from a preset (operators may then edit rows one by one):
--   default   level 1 at 0, then floor(100 * n^1.5)         (282, 519, 800, 1118, ...)
--   linear    level 1 at 0, then 1000 * (n - 1)
--   runescape level 1 at 0, then RuneScape's classic table: floor(sum_{k<n} floor(k + 300 * 2^(k/7)) / 4)
-- Levels and layers of every user are recomputed in the same transaction.
create or replace function xp.generate_curve(p_preset text, p_max_level integer default 100)
returns integer
language plpgsql
volatile
as $$
begin
    if p_max_level < 2 or p_max_level > 1000 then
        raise exception 'max level must be between 2 and 1000' using errcode = 'XP422';
    end if;
    delete from xp.level_curve;
    if p_preset = 'default' then
        insert into xp.level_curve (level, xp_required)
        select n, case when n = 1 then 0 else floor(100 * power(n, 1.5))::bigint end
        from generate_series(1, p_max_level) n;
    elsif p_preset = 'linear' then
        insert into xp.level_curve (level, xp_required)
        select n, 1000::bigint * (n - 1) from generate_series(1, p_max_level) n;
    elsif p_preset = 'runescape' then
        insert into xp.level_curve (level, xp_required)
        select n, floor(coalesce((select sum(floor(k + 300 * power(2, k / 7.0))) from generate_series(1, n - 1) k), 0) / 4)::bigint
        from generate_series(1, p_max_level) n;
    else
        raise exception 'unknown curve preset %, expected default, linear or runescape', p_preset using errcode = 'XP422';
    end if;
    perform xp.recompute_levels();
    return p_max_level;
end;
$$;
""",
    'xp/layer_for.sql': """-- drop: drop function if exists xp.layer_for(text, integer);
-- The layer of a mode that a level (reached with that mode's XP) puts a user in.
create or replace function xp.layer_for(p_mode text, p_level integer)
returns text
language sql
stable
parallel safe
as $$
    select code from xp.layers where mode = p_mode and min_level <= p_level order by min_level desc limit 1;
$$;
""",
    'xp/layers.sql': """-- drop: drop function if exists xp.layers();
-- GET /api/v1/layers: the layers of both modes.
create or replace function xp.layers()
returns jsonb
language sql
stable
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
        'code', code, 'name', name, 'mode', mode, 'min_level', min_level, 'position', position) order by mode desc, position), '[]')
    from xp.layers;
$$;
""",
    'xp/level_for.sql': """-- drop: drop function if exists xp.level_for(bigint);
-- The level an amount of XP reaches on the curve (1 at 0 XP). O(log n) on the curve index.
create or replace function xp.level_for(p_xp bigint)
returns integer
language sql
stable
parallel safe
as $$
    select coalesce(
        (select level from xp.level_curve where xp_required <= greatest(p_xp, 0) order by xp_required desc limit 1),
        1
    );
$$;
""",
    'xp/level_progress.sql': """-- drop: drop function if exists xp.level_progress(bigint);
-- Where an amount of XP stands within its level: {level, level_xp, next_level_xp, xp_into_level,
-- xp_to_next}; next_level_xp and xp_to_next are null at the top of the curve.
create or replace function xp.level_progress(p_xp bigint)
returns jsonb
language sql
stable
as $$
    with here as (
        select level, xp_required from xp.level_curve
        where xp_required <= greatest(p_xp, 0) order by xp_required desc limit 1
    ), next as (
        select xp_required from xp.level_curve
        where xp_required > greatest(p_xp, 0) order by xp_required limit 1
    )
    select jsonb_build_object(
        'level', coalesce((select level from here), 1),
        'level_xp', coalesce((select xp_required from here), 0),
        'next_level_xp', (select xp_required from next),
        'xp_into_level', greatest(p_xp, 0) - coalesce((select xp_required from here), 0),
        'xp_to_next', (select xp_required from next) - greatest(p_xp, 0)
    );
$$;
""",
    'xp/levels.sql': """-- drop: drop function if exists xp.levels();
-- GET /api/v1/levels: the level curve.
create or replace function xp.levels()
returns jsonb
language sql
stable
as $$
    select coalesce(jsonb_agg(jsonb_build_object('level', level, 'xp_required', xp_required) order by level), '[]')
    from xp.level_curve;
$$;
""",
    'xp/profile.sql': """-- drop: drop function if exists xp.profile(uuid);
-- GET /users/me/profile: totals, level progress, per-mode level and layer, this season's XP
-- and rank per mode (rank null without XP this season; ranks come from xp.season_rank).
create or replace function xp.profile(p_user_id uuid)
returns jsonb
language plpgsql
stable
as $$
declare
    v_user app.users;
    v_totals xp.totals;
    v_season text := to_char(now() at time zone 'UTC', 'YYYY-MM');
begin
    select * into v_user from app.users where id = p_user_id and deleted_at is null;
    if not found then
        raise exception 'no user %', p_user_id using errcode = 'XP404';
    end if;
    select * into v_totals from xp.totals where user_id = p_user_id;
    return jsonb_build_object(
        'user', jsonb_build_object('id', v_user.id, 'username', v_user.username,
                                   'display_name', v_user.display_name, 'avatar_url', v_user.avatar_url),
        'total_xp', coalesce(v_totals.total_xp, 0),
        'level', coalesce(v_totals.level, 1),
        'level_progress', xp.level_progress(coalesce(v_totals.total_xp, 0)) - 'level',
        'modes', jsonb_build_object(
            'reality', jsonb_build_object('xp', coalesce(v_totals.reality_xp, 0), 'level', coalesce(v_totals.reality_level, 1),
                                          'layer', coalesce(v_totals.reality_layer, xp.layer_for('reality', 1))),
            'cyber', jsonb_build_object('xp', coalesce(v_totals.cyber_xp, 0), 'level', coalesce(v_totals.cyber_level, 1),
                                        'layer', coalesce(v_totals.cyber_layer, xp.layer_for('cyber', 1)))),
        'season', jsonb_build_object(
            'id', v_season,
            'reality', xp.season_standing(v_season, 'reality', p_user_id),
            'cyber', xp.season_standing(v_season, 'cyber', p_user_id)));
end;
$$;
""",
    'xp/recompute_levels.sql': """-- drop: drop function if exists xp.recompute_levels();
-- After the curve or the layer table changed: every user's levels and layers, set-based
-- (one statement), so nothing loops per user. Returns how many users changed.
create or replace function xp.recompute_levels()
returns bigint
language plpgsql
volatile
as $$
declare
    v_changed bigint;
begin
    with fresh as (
        select user_id,
               xp.level_for(total_xp) as level,
               xp.level_for(reality_xp) as reality_level,
               xp.level_for(cyber_xp) as cyber_level
        from xp.totals
    )
    update xp.totals t set
        level = f.level,
        reality_level = f.reality_level,
        cyber_level = f.cyber_level,
        reality_layer = xp.layer_for('reality', f.reality_level),
        cyber_layer = xp.layer_for('cyber', f.cyber_level)
    from fresh f
    where t.user_id = f.user_id
      and (t.level, t.reality_level, t.cyber_level, t.reality_layer, t.cyber_layer)
          is distinct from (f.level, f.reality_level, f.cyber_level,
                            xp.layer_for('reality', f.reality_level), xp.layer_for('cyber', f.cyber_level));
    get diagnostics v_changed = row_count;
    return v_changed;
end;
$$;
""",
    'xp/season_for.sql': """-- drop: drop function if exists xp.season_for(timestamptz);
-- The season (calendar month in UTC) of a moment, created on demand. Its status follows the
-- clock: upcoming, active, or closed once the month is over (the close job freezes standings).
create or replace function xp.season_for(p_at timestamptz)
returns xp.seasons
language plpgsql
volatile
as $$
declare
    v_start timestamptz := date_trunc('month', p_at at time zone 'UTC') at time zone 'UTC';
    v_season xp.seasons;
begin
    select * into v_season from xp.seasons where id = to_char(v_start at time zone 'UTC', 'YYYY-MM');
    if found then
        return v_season;
    end if;
    insert into xp.seasons (id, starts_at, ends_at, status)
    values (to_char(v_start at time zone 'UTC', 'YYYY-MM'), v_start, v_start + interval '1 month',
            case when now() < v_start then 'upcoming' when now() < v_start + interval '1 month' then 'active' else 'closed' end)
    on conflict (id) do nothing;
    select * into v_season from xp.seasons where id = to_char(v_start at time zone 'UTC', 'YYYY-MM');
    return v_season;
end;
$$;
""",
    'xp/season_standing.sql': """-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank} of a user in a season and mode; rank is null without XP this season. Exact rank
-- on the total order (xp desc, reached_at, user_id): two range counts on the ranking index.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language sql
stable
as $$
    select coalesce(
        (select jsonb_build_object('xp', s.xp, 'rank', case when s.xp > 0 then 1
                + (select count(*) from xp.season_scores o
                   where o.season_id = s.season_id and o.mode = s.mode and o.xp > s.xp)
                + (select count(*) from xp.season_scores o
                   where o.season_id = s.season_id and o.mode = s.mode and o.xp = s.xp
                     and (o.reached_at, o.user_id) < (s.reached_at, s.user_id)) end)
         from xp.season_scores s
         where s.season_id = p_season and s.mode = p_mode and s.user_id = p_user_id),
        jsonb_build_object('xp', 0, 'rank', null));
$$;
""",
    'xp/seed_activities.sql': """-- drop: drop function if exists xp.seed_activities();
-- The shipped activity types (upsert by key; operators' later edits to rates and caps of these
-- keys are overwritten only by running the seed again). Returns how many rows it wrote.
-- self_report is true only where a false claim is cheap (a few XP, capped per day).
create or replace function xp.seed_activities()
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    insert into xp.activity_types as a (key, name, unit, xp_per_unit, mode, daily_cap_units, self_report)
    values
        -- reality: movement
        ('steps', 'Steps', 'step', 0.2, 'reality', 40000, false),
        ('walk_km', 'Walking', 'km', 60, 'reality', 40, false),
        ('run_km', 'Running', 'km', 300, 'reality', 60, false),
        ('cycle_km', 'Cycling', 'km', 80, 'reality', 200, false),
        ('swim_km', 'Swimming', 'km', 600, 'reality', 10, false),
        ('hike_km', 'Hiking', 'km', 120, 'reality', 50, false),
        ('row_km', 'Rowing', 'km', 350, 'reality', 30, false),
        ('stairs_floor', 'Stairs climbed', 'floor', 8, 'reality', 200, false),
        -- reality: strength
        ('pushup_standard', 'Push-ups (standard)', 'rep', 2, 'reality', 1000, true),
        ('pushup_knee', 'Push-ups (knee)', 'rep', 1, 'reality', 1000, true),
        ('pushup_diamond', 'Push-ups (diamond)', 'rep', 3, 'reality', 800, true),
        ('pushup_decline', 'Push-ups (decline)', 'rep', 3, 'reality', 800, true),
        ('pullup_standard', 'Pull-ups', 'rep', 6, 'reality', 400, true),
        ('pullup_chin', 'Chin-ups', 'rep', 5, 'reality', 400, true),
        ('pullup_assisted', 'Pull-ups (assisted)', 'rep', 2, 'reality', 400, true),
        ('squat_bodyweight', 'Squats (bodyweight)', 'rep', 1, 'reality', 1500, true),
        ('squat_jump', 'Jump squats', 'rep', 2, 'reality', 800, true),
        ('squat_pistol', 'Pistol squats', 'rep', 6, 'reality', 300, true),
        ('lunge', 'Lunges', 'rep', 1, 'reality', 1000, true),
        ('burpee', 'Burpees', 'rep', 4, 'reality', 500, true),
        ('dip', 'Dips', 'rep', 4, 'reality', 500, true),
        ('situp', 'Sit-ups', 'rep', 1, 'reality', 1000, true),
        ('plank_s', 'Plank', 'second', 0.5, 'reality', 1800, true),
        ('side_plank_s', 'Side plank', 'second', 0.6, 'reality', 1200, true),
        ('wall_sit_s', 'Wall sit', 'second', 0.4, 'reality', 1800, true),
        ('jump_rope_min', 'Jump rope', 'minute', 12, 'reality', 120, true),
        -- reality: sessions and habits
        ('strength_session', 'Strength training session', 'session', 250, 'reality', 3, false),
        ('yoga_min', 'Yoga', 'minute', 4, 'reality', 180, true),
        ('meditation_min', 'Meditation', 'minute', 3, 'reality', 120, true),
        ('stretching_min', 'Stretching', 'minute', 2, 'reality', 90, true),
        ('sport_session', 'Team sport session', 'session', 300, 'reality', 3, false),
        ('martial_arts_session', 'Martial arts session', 'session', 350, 'reality', 2, false),
        ('sleep_goal', 'Slept 7+ hours', 'night', 50, 'reality', 1, true),
        ('water_goal', 'Drank 2 l of water', 'day', 20, 'reality', 1, true),
        ('cold_shower', 'Cold shower', 'shower', 15, 'reality', 2, true),
        -- cyber
        ('challenge_solved', 'Coding challenge solved', 'challenge', 100, 'cyber', 50, false),
        ('code_review', 'Code review', 'review', 40, 'cyber', 30, false),
        ('pull_request_merged', 'Pull request merged', 'pr', 120, 'cyber', 20, false),
        ('commit', 'Commit pushed', 'commit', 5, 'cyber', 100, false),
        ('bug_fixed', 'Bug fixed', 'bug', 80, 'cyber', 20, false),
        ('stream_hour', 'Live coding stream', 'hour', 150, 'cyber', 8, false),
        ('pair_programming_hour', 'Pair programming', 'hour', 90, 'cyber', 8, false),
        ('tutorial_written', 'Tutorial written', 'tutorial', 400, 'cyber', 3, false),
        ('talk_given', 'Talk given', 'talk', 600, 'cyber', 2, false),
        ('ctf_flag', 'CTF flag captured', 'flag', 200, 'cyber', 20, false),
        ('focus_session', 'Focused coding session (25 min)', 'session', 25, 'cyber', 16, true),
        ('docs_page', 'Documentation page read', 'page', 3, 'cyber', 60, true),
        ('community_answer', 'Question answered in the community', 'answer', 30, 'cyber', 20, false)
    on conflict (key) do update set
        name = excluded.name, unit = excluded.unit, xp_per_unit = excluded.xp_per_unit, mode = excluded.mode,
        daily_cap_units = excluded.daily_cap_units, self_report = excluded.self_report, updated_at = now();
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;
""",
    'xp/seed_layers.sql': """-- drop: drop function if exists xp.seed_layers();
-- The ten layers of product.md (upsert by code), then every user's layers are recomputed.
create or replace function xp.seed_layers()
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    insert into xp.layers as l (code, name, mode, min_level, position)
    values
        ('RL0', 'Base', 'reality', 1, 0),
        ('RL1', 'Emotion', 'reality', 5, 1),
        ('RL2', 'Flow', 'reality', 15, 2),
        ('RL3', 'Core', 'reality', 30, 3),
        ('RLX', 'Ultra', 'reality', 60, 4),
        ('CL0', 'Surface-Web', 'cyber', 1, 0),
        ('CL1', 'DeepNet', 'cyber', 5, 1),
        ('CL2', 'Dark-Code', 'cyber', 15, 2),
        ('CL3', 'Synthetic', 'cyber', 30, 3),
        ('CLX', 'Void', 'cyber', 60, 4)
    on conflict (code) do update set
        name = excluded.name, mode = excluded.mode, min_level = excluded.min_level, position = excluded.position;
    get diagnostics v_count = row_count;
    perform xp.recompute_levels();
    return v_count;
end;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'app/user_public.sql': """-- drop: drop function if exists app.user_public(text);
-- The public face of a user, by username (case-insensitive); null when unknown or deleted.
create or replace function app.user_public(p_username text)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'id', u.id,
        'username', u.username,
        'display_name', u.display_name,
        'avatar_url', u.avatar_url,
        'bio', u.bio,
        'created_at', u.created_at
    )
    from app.users u
    where lower(u.username) = lower(p_username)
      and u.deleted_at is null;
$$;
""",
    'xp/activities.sql': None,
    'xp/activity_create.sql': None,
    'xp/activity_update.sql': None,
    'xp/adjust.sql': None,
    'xp/apply.sql': None,
    'xp/award.sql': None,
    'xp/award_event.sql': None,
    'xp/award_fixed.sql': None,
    'xp/can_access.sql': None,
    'xp/check_common.sql': None,
    'xp/claim.sql': None,
    'xp/ensure_ledger_partitions.sql': None,
    'xp/events_page.sql': None,
    'xp/generate_curve.sql': None,
    'xp/layer_for.sql': None,
    'xp/layers.sql': None,
    'xp/level_for.sql': None,
    'xp/level_progress.sql': None,
    'xp/levels.sql': None,
    'xp/profile.sql': None,
    'xp/recompute_levels.sql': None,
    'xp/season_for.sql': None,
    'xp/season_standing.sql': None,
    'xp/seed_activities.sql': None,
    'xp/seed_layers.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS, DATA_UP)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

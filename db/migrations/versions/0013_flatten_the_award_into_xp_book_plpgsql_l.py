"""Flatten the award into xp.book; plpgsql level and layer lookups; no per-award FK checks on the ledger

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 21:51:41 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The files this revision removes, as they were: SCHEMA_DOWN puts them back.
REMOVED: dict[str, str] = {
    "xp/apply.sql": "-- drop: drop function if exists xp.apply(uuid, text, integer, numeric, text, text, text, timestamptz, jsonb, boolean);\n-- Books one claimed award (see xp.claim, which holds the user's lock): the ledger row, the\n-- user's totals, levels and layers, the season score of the mode, level-up and layer-up\n-- notifications, and the answer stored for replays. Keyed by user: O(1) whatever the ledger size.\ncreate or replace function xp.apply(\n    p_user_id uuid, p_mode text, p_xp integer, p_units numeric, p_activity text, p_source text, p_key text,\n    p_occurred_at timestamptz, p_metadata jsonb, p_capped boolean\n)\nreturns jsonb\nlanguage plpgsql\nvolatile\nas $$\ndeclare\n    v_before xp.totals;\n    v_after xp.totals;\n    v_season xp.seasons;\n    v_event_id bigint;\n    v_season_xp bigint := 0;\n    v_result jsonb;\nbegin\n    select * into v_season from xp.seasons\n     where id = to_char(p_occurred_at at time zone 'UTC', 'YYYY-MM');\n    if not found then\n        v_season := xp.season_for(p_occurred_at);\n    end if;\n    if v_season.status = 'closed' then\n        raise exception 'season % is closed; XP can no longer count toward it', v_season.id using errcode = 'XP422';\n    end if;\n    select * into v_before from xp.totals where user_id = p_user_id;\n    if v_before.total_xp + p_xp < 0\n       or (p_mode = 'reality' and v_before.reality_xp + p_xp < 0)\n       or (p_mode = 'cyber' and v_before.cyber_xp + p_xp < 0) then\n        raise exception 'this adjustment would make XP negative' using errcode = 'XP422';\n    end if;\n\n    insert into xp.ledger (user_id, activity_key, source, mode, units, xp, idempotency_key, occurred_at, metadata, season_id)\n    values (p_user_id, p_activity, p_source, p_mode, p_units, p_xp, p_key, p_occurred_at, coalesce(p_metadata, '{}'), v_season.id)\n    returning id into v_event_id;\n\n    -- One update: the new sums, and level and layer recomputed only where the sum moved.\n    update xp.totals t set\n        total_xp = t.total_xp + p_xp,\n        level = xp.level_for(t.total_xp + p_xp),\n        reality_xp = t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end,\n        reality_level = case when p_mode = 'reality' then xp.level_for(t.reality_xp + p_xp) else t.reality_level end,\n        reality_layer = case when p_mode = 'reality' or t.reality_layer is null\n                             then xp.layer_for('reality', xp.level_for(t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end))\n                             else t.reality_layer end,\n        cyber_xp = t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end,\n        cyber_level = case when p_mode = 'cyber' then xp.level_for(t.cyber_xp + p_xp) else t.cyber_level end,\n        cyber_layer = case when p_mode = 'cyber' or t.cyber_layer is null\n                           then xp.layer_for('cyber', xp.level_for(t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end))\n                           else t.cyber_layer end,\n        reached_at = case when p_xp <> 0 then now() else t.reached_at end,\n        updated_at = now()\n    where t.user_id = p_user_id\n    returning * into v_after;\n\n    if p_mode is not null then\n        insert into xp.season_scores as s (season_id, mode, user_id, xp, reached_at)\n        values (v_season.id, p_mode, p_user_id, greatest(p_xp, 0), now())\n        on conflict (season_id, mode, user_id) do update\n            set xp = greatest(s.xp + p_xp, 0),\n                reached_at = case when p_xp <> 0 then now() else s.reached_at end\n        returning xp into v_season_xp;\n    end if;\n\n    if v_after.level > v_before.level then\n        perform notify.enqueue(p_user_id, 'level_up', format('Level %s!', v_after.level),\n            format('You reached level %s with %s XP.', v_after.level, v_after.total_xp),\n            jsonb_build_object('level', v_after.level, 'previous_level', v_before.level, 'total_xp', v_after.total_xp),\n            format('level:%s', v_after.level));\n    end if;\n    -- a new totals row has no layer yet: compare with the layer its previous level stood in\n    if v_after.reality_layer is distinct from coalesce(v_before.reality_layer, xp.layer_for('reality', v_before.reality_level))\n       and v_after.reality_level > v_before.reality_level then\n        perform notify.enqueue(p_user_id, 'layer_up', format('New reality layer: %s', v_after.reality_layer),\n            format('Your reality level %s opened layer %s.', v_after.reality_level, v_after.reality_layer),\n            jsonb_build_object('mode', 'reality', 'layer', v_after.reality_layer, 'level', v_after.reality_level),\n            format('layer:reality:%s', v_after.reality_layer));\n    end if;\n    if v_after.cyber_layer is distinct from coalesce(v_before.cyber_layer, xp.layer_for('cyber', v_before.cyber_level))\n       and v_after.cyber_level > v_before.cyber_level then\n        perform notify.enqueue(p_user_id, 'layer_up', format('New cyber layer: %s', v_after.cyber_layer),\n            format('Your cyber level %s opened layer %s.', v_after.cyber_level, v_after.cyber_layer),\n            jsonb_build_object('mode', 'cyber', 'layer', v_after.cyber_layer, 'level', v_after.cyber_level),\n            format('layer:cyber:%s', v_after.cyber_layer));\n    end if;\n\n    v_result := jsonb_build_object(\n        'event_id', v_event_id,\n        'user_id', p_user_id,\n        'xp_awarded', p_xp,\n        'capped', p_capped,\n        'mode', p_mode,\n        'total_xp', v_after.total_xp,\n        'level', v_after.level,\n        'leveled_up', v_after.level > v_before.level,\n        'modes', jsonb_build_object(\n            'reality', jsonb_build_object('xp', v_after.reality_xp, 'level', v_after.reality_level, 'layer', v_after.reality_layer),\n            'cyber', jsonb_build_object('xp', v_after.cyber_xp, 'level', v_after.cyber_level, 'layer', v_after.cyber_layer)),\n        'season_id', v_season.id,\n        'season_xp', v_season_xp,\n        'replayed', false);\n    insert into xp.idempotency (source, idempotency_key, user_id, event_id, result)\n    values (p_source, p_key, p_user_id, v_event_id, v_result);\n    return v_result;\nend;\n$$;\n",
    "xp/check_common.sql": "-- drop: drop function if exists xp.check_common(uuid, text, timestamptz);\n-- Input checks shared by every award, before anything is written.\ncreate or replace function xp.check_common(p_user_id uuid, p_key text, p_occurred_at timestamptz)\nreturns void\nlanguage plpgsql\nstable\nas $$\nbegin\n    if p_key is null or char_length(p_key) not between 1 and 200 then\n        raise exception 'idempotency_key must be 1 to 200 characters' using errcode = 'XP422';\n    end if;\n    if p_occurred_at > now() + interval '5 minutes' then\n        raise exception 'occurred_at is in the future' using errcode = 'XP422';\n    end if;\n    if p_occurred_at < now() - interval '31 days' then\n        raise exception 'occurred_at is more than 31 days ago' using errcode = 'XP422';\n    end if;\n    if not exists (select 1 from app.users where id = p_user_id and deleted_at is null) then\n        raise exception 'no user %', p_user_id using errcode = 'XP404';\n    end if;\nend;\n$$;\n",
    "xp/claim.sql": "-- drop: drop function if exists xp.claim(uuid, text, text);\n-- First step of every award, in the award's transaction: lock the user's totals row (created if\n-- new) — always this row first, so two awards for one user queue instead of deadlocking — then\n-- look (source, idempotency key) up. Returns the original answer when the key was used before\n-- (a replay), else null. While the lock is held no other award for this user can book the key;\n-- xp.apply stores it, and the primary key refuses the same key for another user.\ncreate or replace function xp.claim(p_user_id uuid, p_source text, p_key text)\nreturns jsonb\nlanguage plpgsql\nvolatile\nas $$\ndeclare\n    v_done xp.idempotency;\nbegin\n    perform 1 from xp.totals where user_id = p_user_id for update;\n    if not found then\n        insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;\n        perform 1 from xp.totals where user_id = p_user_id for update;\n    end if;\n    select * into v_done from xp.idempotency where source = p_source and idempotency_key = p_key;\n    if not found then\n        return null;\n    end if;\n    if v_done.user_id <> p_user_id then\n        raise exception 'idempotency key % was already used for another user', p_key using errcode = 'XP409';\n    end if;\n    return v_done.result || jsonb_build_object('replayed', true);\nend;\n$$;\n",
}

SCHEMA_UP = """
-- xp.book replaces the three steps every award went through.
drop function xp.apply(uuid, text, integer, numeric, text, text, text, timestamptz, jsonb, boolean);
drop function xp.claim(uuid, text, text);
drop function xp.check_common(uuid, text, timestamptz);
-- The ledger's foreign keys cost every award two more lookups and a KEY SHARE lock on the
-- user's row and on the activity's row, the same row for every concurrent award of that
-- activity (a MultiXact each). xp.book is the only writer and checks both first: the user
-- under the lock of its totals row (whose foreign key stays), the activity in xp.award.
-- Users and activities are never deleted (users are anonymised, activities retired).
alter table xp.ledger drop constraint ledger_user_id_fkey, drop constraint ledger_activity_key_fkey;
"""

SCHEMA_DOWN = """
alter table xp.ledger add constraint ledger_user_id_fkey foreign key (user_id) references app.users (id),
    add constraint ledger_activity_key_fkey foreign key (activity_key) references xp.activity_types (key);
""" + "".join(REMOVED.values())

FUNCTIONS: dict[str, str] = {
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
    return xp.book(p_user_id, 'adjustment', p_idempotency_key, now(),
                   jsonb_build_object('reason', p_reason, 'admin_id', p_admin_id), p_mode, p_xp);
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
""",
    'xp/award_events.sql': """-- drop: drop function if exists xp.award_events(uuid[], text[], text[], numeric[], text[], timestamptz[], jsonb[], uuid[]);
-- POST /xp/events, batched: the API sends the awards that arrive while an earlier call is
-- still running as one call (one round trip and one commit for all). Item i of every array is
-- one xp.award_event call. Each runs in its own subtransaction, so one item's error (an unknown
-- user, a reused key) undoes only that item and comes back as its sqlstate and message. Items
-- are booked in user id order (Discord ids resolved first), so two batches lock users in the
-- same order and cannot deadlock each other. One row per item (item = its index). Batches stay
-- small (the API sends at most 32): past 64 subtransactions PostgreSQL's snapshot cache
-- overflows.
create or replace function xp.award_events(
    p_user_ids uuid[], p_discord_ids text[], p_activities text[], p_units numeric[], p_keys text[],
    p_occurred_at timestamptz[], p_metadata jsonb[], p_self_only uuid[]
)
returns table (item integer, error_code text, replayed boolean, body text)
language plpgsql
volatile
as $$
declare
    v_users uuid[] := p_user_ids;
    v_result jsonb;
    v_i integer;
begin
    if cardinality(p_keys) > 64 then
        raise exception 'at most 64 awards per batch' using errcode = 'XP422';
    end if;
    -- Resolve Discord ids up front, so the lock order below holds for them too.
    if array_position(p_user_ids, null) is not null then
        v_users := array(
            select coalesce(p_user_ids[i], (select u.id from app.users u
                                             where u.discord_id = p_discord_ids[i] and u.deleted_at is null))
            from generate_subscripts(p_keys, 1) as i order by i);
    end if;

    for v_i in select i from generate_subscripts(p_keys, 1) as i order by v_users[i], i loop
        begin
            v_result := xp.award_event(coalesce(v_users[v_i], p_user_ids[v_i]), p_discord_ids[v_i], p_activities[v_i],
                                       p_units[v_i], p_keys[v_i], p_occurred_at[v_i], p_metadata[v_i], p_self_only[v_i]);
            item := v_i;
            error_code := null;
            replayed := (v_result->>'replayed')::boolean;
            body := v_result::text;
        exception when others then
            item := v_i;
            get stacked diagnostics error_code = returned_sqlstate, body = message_text;
            replayed := null;
        end;
        return next;
    end loop;
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
    return xp.book(p_user_id, p_source, p_idempotency_key, coalesce(p_occurred_at, now()), p_metadata, p_mode, p_xp);
end;
$$;
""",
    'xp/book.sql': """-- drop: drop function if exists xp.book(uuid, text, text, timestamptz, jsonb, text, integer, text, numeric, numeric, numeric);
-- Books one award, exactly once per (source, idempotency key): the core that xp.award,
-- xp.award_fixed and xp.adjust share, flattened into one function because it is the hot path
-- (every nested SQL-language call was planned afresh per call; plpgsql caches its plans).
-- Steps, in one transaction: checks; lock the user's totals row (always first, so two awards
-- for one user queue instead of deadlocking); a used key answers its original result
-- (replayed = true); the daily cap in units (activities: p_units x p_xp_per_unit, capped at
-- p_cap units per user, activity and UTC day); the ledger row; totals with levels and layers;
-- the season score of the mode; level-up and layer-up rows in the outbox; the stored answer.
-- Keyed by user throughout: O(1) whatever the ledger size.
create or replace function xp.book(
    p_user_id uuid, p_source text, p_key text, p_at timestamptz, p_metadata jsonb, p_mode text, p_xp integer,
    p_activity text default null, p_units numeric default null, p_xp_per_unit numeric default null,
    p_cap numeric default null
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_before xp.totals;
    v_after xp.totals;
    v_done xp.idempotency;
    v_season xp.seasons;
    v_xp integer := p_xp;
    v_units numeric := p_units;
    v_used numeric;
    v_day date;
    v_mode_level integer;
    v_old_layer text;
    v_event_id bigint;
    v_season_xp bigint := 0;
    v_result jsonb;
begin
    if p_key is null or char_length(p_key) not between 1 and 200 then
        raise exception 'idempotency_key must be 1 to 200 characters' using errcode = 'XP422';
    end if;
    if p_at > now() + interval '5 minutes' then
        raise exception 'occurred_at is in the future' using errcode = 'XP422';
    end if;
    if p_at < now() - interval '31 days' then
        raise exception 'occurred_at is more than 31 days ago' using errcode = 'XP422';
    end if;
    perform from app.users where id = p_user_id and deleted_at is null;
    if not found then
        raise exception 'no user %', p_user_id using errcode = 'XP404';
    end if;

    select * into v_before from xp.totals where user_id = p_user_id for update;
    if not found then
        insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;
        select * into v_before from xp.totals where user_id = p_user_id for update;
    end if;
    -- Under the lock no other award for this user can book the key; the primary key refuses
    -- the same key for another user.
    select * into v_done from xp.idempotency where source = p_source and idempotency_key = p_key;
    if found then
        if v_done.user_id <> p_user_id then
            raise exception 'idempotency key % was already used for another user', p_key using errcode = 'XP409';
        end if;
        return v_done.result || '{"replayed": true}'::jsonb;
    end if;

    select * into v_season from xp.seasons where id = to_char(p_at at time zone 'UTC', 'YYYY-MM');
    if not found then
        v_season := xp.season_for(p_at);
    end if;
    if v_season.status = 'closed' then
        raise exception 'season % is closed; XP can no longer count toward it', v_season.id using errcode = 'XP422';
    end if;

    if p_cap is not null then
        v_day := (p_at at time zone 'UTC')::date;
        select units into v_used from xp.daily_usage
         where user_id = p_user_id and activity_key = p_activity and day = v_day;
        v_units := least(p_units, greatest(p_cap - coalesce(v_used, 0), 0));
        insert into xp.daily_usage as d (user_id, activity_key, day, units)
        values (p_user_id, p_activity, v_day, v_units)
        on conflict (user_id, activity_key, day) do update set units = d.units + excluded.units;
    end if;
    if p_xp_per_unit is not null then
        v_xp := floor(v_units * p_xp_per_unit)::integer;
    end if;

    v_after := v_before;
    v_after.total_xp := v_before.total_xp + v_xp;
    if p_mode = 'reality' then
        v_after.reality_xp := v_before.reality_xp + v_xp;
    elsif p_mode = 'cyber' then
        v_after.cyber_xp := v_before.cyber_xp + v_xp;
    end if;
    if v_after.total_xp < 0 or v_after.reality_xp < 0 or v_after.cyber_xp < 0 then
        raise exception 'this adjustment would make XP negative' using errcode = 'XP422';
    end if;
    -- The total's level and the mode's level: one statement, two probes of the curve's index.
    select coalesce((select c.level from xp.level_curve c where c.xp_required <= v_after.total_xp
                     order by c.xp_required desc limit 1), 1),
           coalesce((select c.level from xp.level_curve c
                     where c.xp_required <= case p_mode when 'cyber' then v_after.cyber_xp else v_after.reality_xp end
                     order by c.xp_required desc limit 1), 1)
      into v_after.level, v_mode_level;
    if p_mode = 'reality' then
        v_after.reality_level := v_mode_level;
    elsif p_mode = 'cyber' then
        v_after.cyber_level := v_mode_level;
    end if;
    -- A layer moves only with its mode's level (a new totals row has none yet).
    if v_after.reality_layer is null or v_after.reality_level <> v_before.reality_level then
        select code into v_after.reality_layer from xp.layers
         where mode = 'reality' and min_level <= v_after.reality_level order by min_level desc limit 1;
    end if;
    if v_after.cyber_layer is null or v_after.cyber_level <> v_before.cyber_level then
        select code into v_after.cyber_layer from xp.layers
         where mode = 'cyber' and min_level <= v_after.cyber_level order by min_level desc limit 1;
    end if;
    if v_xp <> 0 then
        v_after.reached_at := now();
    end if;

    update xp.totals set
        total_xp = v_after.total_xp, level = v_after.level,
        reality_xp = v_after.reality_xp, reality_level = v_after.reality_level, reality_layer = v_after.reality_layer,
        cyber_xp = v_after.cyber_xp, cyber_level = v_after.cyber_level, cyber_layer = v_after.cyber_layer,
        reached_at = v_after.reached_at, updated_at = now()
    where user_id = p_user_id;

    insert into xp.ledger (user_id, activity_key, source, mode, units, xp, idempotency_key, occurred_at, metadata, season_id)
    values (p_user_id, p_activity, p_source, p_mode, v_units, v_xp, p_key, p_at,
            coalesce(p_metadata, '{}'::jsonb) || case when v_units < p_units
                then jsonb_build_object('requested_units', p_units) else '{}'::jsonb end,
            v_season.id)
    returning id into v_event_id;

    if p_mode is not null then
        insert into xp.season_scores as s (season_id, mode, user_id, xp, reached_at)
        values (v_season.id, p_mode, p_user_id, greatest(v_xp, 0), now())
        on conflict (season_id, mode, user_id) do update
            set xp = greatest(s.xp + v_xp, 0),
                reached_at = case when v_xp <> 0 then now() else s.reached_at end
        returning xp into v_season_xp;
    end if;

    if v_after.level > v_before.level then
        perform notify.enqueue(p_user_id, 'level_up', format('Level %s!', v_after.level),
            format('You reached level %s with %s XP.', v_after.level, v_after.total_xp),
            jsonb_build_object('level', v_after.level, 'previous_level', v_before.level, 'total_xp', v_after.total_xp),
            format('level:%s', v_after.level));
    end if;
    -- Layer-up: the mode's level rose into another layer than the one its previous level stood in.
    if v_after.reality_level > v_before.reality_level then
        v_old_layer := coalesce(v_before.reality_layer, xp.layer_for('reality', v_before.reality_level));
        if v_after.reality_layer is distinct from v_old_layer then
            perform notify.enqueue(p_user_id, 'layer_up', format('New reality layer: %s', v_after.reality_layer),
                format('Your reality level %s opened layer %s.', v_after.reality_level, v_after.reality_layer),
                jsonb_build_object('mode', 'reality', 'layer', v_after.reality_layer, 'level', v_after.reality_level),
                format('layer:reality:%s', v_after.reality_layer));
        end if;
    end if;
    if v_after.cyber_level > v_before.cyber_level then
        v_old_layer := coalesce(v_before.cyber_layer, xp.layer_for('cyber', v_before.cyber_level));
        if v_after.cyber_layer is distinct from v_old_layer then
            perform notify.enqueue(p_user_id, 'layer_up', format('New cyber layer: %s', v_after.cyber_layer),
                format('Your cyber level %s opened layer %s.', v_after.cyber_level, v_after.cyber_layer),
                jsonb_build_object('mode', 'cyber', 'layer', v_after.cyber_layer, 'level', v_after.cyber_level),
                format('layer:cyber:%s', v_after.cyber_layer));
        end if;
    end if;

    v_result := jsonb_build_object(
        'event_id', v_event_id,
        'user_id', p_user_id,
        'xp_awarded', v_xp,
        'capped', coalesce(v_units < p_units, false),
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
    'xp/layer_for.sql': """-- drop: drop function if exists xp.layer_for(text, integer);
-- The layer of a mode that a level (reached with that mode's XP) puts a user in. plpgsql for
-- its cached plan (see xp.level_for).
create or replace function xp.layer_for(p_mode text, p_level integer)
returns text
language plpgsql
stable
parallel safe
as $$
declare
    v_code text;
begin
    select code into v_code from xp.layers
     where mode = p_mode and min_level <= p_level order by min_level desc limit 1;
    return v_code;
end;
$$;
""",
    'xp/level_for.sql': """-- drop: drop function if exists xp.level_for(bigint);
-- The level an amount of XP reaches on the curve (1 at 0 XP). O(log n) on the curve index.
-- plpgsql, not sql: a SQL function with a subquery is never inlined, and before PostgreSQL 18
-- it is planned afresh on every call; plpgsql keeps its plan for the session.
create or replace function xp.level_for(p_xp bigint)
returns integer
language plpgsql
stable
parallel safe
as $$
declare
    v_level integer;
begin
    select level into v_level from xp.level_curve
     where xp_required <= greatest(p_xp, 0) order by xp_required desc limit 1;
    return coalesce(v_level, 1);
end;
$$;
""",
    'xp/level_progress.sql': """-- drop: drop function if exists xp.level_progress(bigint);
-- Where an amount of XP stands within its level: {level, level_xp, next_level_xp, xp_into_level,
-- xp_to_next}; next_level_xp and xp_to_next are null at the top of the curve. plpgsql for its
-- cached plans (see xp.level_for).
create or replace function xp.level_progress(p_xp bigint)
returns jsonb
language plpgsql
stable
as $$
declare
    v_xp bigint := greatest(p_xp, 0);
    v_level integer;
    v_level_xp bigint;
    v_next bigint;
begin
    select level, xp_required into v_level, v_level_xp from xp.level_curve
     where xp_required <= v_xp order by xp_required desc limit 1;
    select xp_required into v_next from xp.level_curve where xp_required > v_xp order by xp_required limit 1;
    return jsonb_build_object(
        'level', coalesce(v_level, 1),
        'level_xp', coalesce(v_level_xp, 0),
        'next_level_xp', v_next,
        'xp_into_level', v_xp - coalesce(v_level_xp, 0),
        'xp_to_next', v_next - v_xp);
end;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
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
    'xp/award_events.sql': None,
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
    'xp/book.sql': None,
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
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

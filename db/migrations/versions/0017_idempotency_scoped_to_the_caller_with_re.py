"""idempotency scoped to the caller with request fingerprints; signed board cursors

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 15:37:18 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Idempotency: keys of API-key awards live in the key's namespace (like self_report keys in the
# user's), and each row keeps the request's fingerprint (xp.award), so a reused key with a
# different request is refused instead of replayed. Rows written before have none: they replay
# as before. The award functions gain trailing arguments: drop the old signatures.
SCHEMA_UP = """
alter table xp.idempotency add column request_hash bytea;
drop function xp.award_events(uuid[], text[], text[], numeric[], text[], timestamptz[], jsonb[], uuid[]);
drop function xp.award_event(uuid, text, text, numeric, text, timestamptz, jsonb, uuid);
drop function xp.award(uuid, text, numeric, text, text, timestamptz, jsonb);
drop function xp.book(uuid, text, text, timestamptz, jsonb, text, integer, text, numeric, numeric, numeric);

-- Board cursors are signed (seasons.board_mac, HMAC-SHA256): this installation's secret, 32
-- bytes hashed from three gen_random_uuid() (366 random bits of pg_strong_random), kept as the
-- two HMAC-padded keys (K xor 0x36.., K xor 0x5c.., 64 bytes each). Materialized: evaluated
-- once, so both pads come from the same K. Unsigned cursors handed out before now are 400:
-- clients start again from page 1.
create table seasons.cursor_secret (
    one       boolean primary key default true check (one),
    inner_key bytea not null check (length(inner_key) = 64),
    outer_key bytea not null check (length(outer_key) = 64)
);
revoke all on seasons.cursor_secret from public;
with k as materialized (
    select sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()))
           || decode(repeat('00', 32), 'hex') as key
)
insert into seasons.cursor_secret (inner_key, outer_key)
select decode(string_agg(lpad(to_hex(get_byte(k.key, i) # 54), 2, '0'), '' order by i), 'hex'),
       decode(string_agg(lpad(to_hex(get_byte(k.key, i) # 92), 2, '0'), '' order by i), 'hex')
from k, generate_series(0, 63) as i;
drop function seasons.cursor_encode(bigint, bigint, timestamptz, uuid);
drop function seasons.cursor_decode(text);
"""

# After PREVIOUS restored the old signatures.
SCHEMA_DOWN = """
drop function if exists xp.award_events(uuid[], text[], text[], numeric[], text[], timestamptz[], jsonb[], uuid[], uuid[]);
drop function if exists xp.award_event(uuid, text, text, numeric, text, timestamptz, jsonb, uuid, uuid);
drop function if exists xp.award(uuid, text, numeric, text, text, timestamptz, jsonb, text);
drop function if exists xp.book(uuid, text, text, timestamptz, jsonb, text, integer, text, numeric, numeric, numeric, text, bytea);
alter table xp.idempotency drop column if exists request_hash;
drop function if exists seasons.cursor_encode(text, bigint, bigint, timestamptz, uuid);
drop function if exists seasons.cursor_decode(text, text);
drop table if exists seasons.cursor_secret;
"""

FUNCTIONS: dict[str, str] = {
    'seasons/all_time.sql': """-- drop: drop function if exists seasons.all_time(text, integer);
-- The all-time board by total XP, live from xp.totals' ranking index, keyset-paginated like
-- seasons.leaderboard (ties: whoever reached that total first, then user id).
create or replace function seasons.all_time(p_cursor text, p_limit integer)
returns json
language plpgsql
stable
-- One generic plan for the page statement (see seasons.leaderboard).
set plan_cache_mode = force_generic_plan
as $$
declare
    v_limit integer := least(greatest(coalesce(p_limit, 20), 1), 100);
    v_rank bigint := 0;
    v_xp bigint := null;
    v_reached timestamptz;
    v_user uuid;
    v_entries json := '[]'::json;
    v_next text;
begin
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode('all-time', p_cursor) c;
    end if;
    -- One statement builds the page (json_agg, not an array grown row by row).
    with page as (
        select p.*, u.username, u.display_name, u.avatar_url,
               row_number() over (order by p.xp desc, p.reached_at, p.user_id) as n
        from (
            (select t.user_id, t.total_xp as xp, t.reached_at, t.level from xp.totals t
             where v_xp is not null and t.total_xp = v_xp and (t.reached_at, t.user_id) > (v_reached, v_user)
             order by t.reached_at, t.user_id limit v_limit + 1)
            union all
            (select t.user_id, t.total_xp, t.reached_at, t.level from xp.totals t
             where t.total_xp > 0 and (v_xp is null or t.total_xp < v_xp)
             order by t.total_xp desc, t.reached_at, t.user_id limit v_limit + 1)
        ) p
        join app.users u on u.id = p.user_id
        order by p.xp desc, p.reached_at, p.user_id
        limit v_limit + 1
    )
    select coalesce(json_agg(seasons.board_entry(v_rank + n, user_id, username, display_name, avatar_url, xp, level)
                              order by n) filter (where n <= v_limit), '[]'::json),
           -- a next page exists when one more row came back: the cursor is this page's last line
           case when count(*) > v_limit
                then max(seasons.cursor_encode('all-time', v_rank + n, xp, reached_at, user_id)) filter (where n = v_limit) end
      into v_entries, v_next
      from page;
    return json_build_object('board', 'all-time', 'generated_at', now(), 'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
    'seasons/board_mac.sql': """-- drop: drop function if exists seasons.board_mac(text);
-- HMAC-SHA256 (RFC 2104) of a board cursor's message under this installation's secret, base64url
-- without padding. Built from the builtin sha256() (no pgcrypto): sha256((K xor opad) ||
-- sha256((K xor ipad) || m)). seasons.cursor_secret holds the two padded keys, derived once by
-- migration 0017 from gen_random_uuid() (pg_strong_random); only the owner can read it. HMAC,
-- not sha256(secret || m), because the latter is length-extendable.
-- plpgsql, not sql: its statement's plan is cached per session (a sql function called from the
-- board's page statement was planned afresh on every page: +0.7 ms a page).
create or replace function seasons.board_mac(p_message text)
returns text
language plpgsql
stable
as $$
declare
    v_inner bytea;
    v_outer bytea;
begin
    select s.inner_key, s.outer_key into v_inner, v_outer from seasons.cursor_secret s;
    return translate(encode(sha256(v_outer || sha256(v_inner || convert_to(p_message, 'UTF8'))), 'base64'),
                     '+/=', '-_');
end;
$$;
""",
    'seasons/cursor_decode.sql': """-- drop: drop function if exists seasons.cursor_decode(text, text);
-- A board cursor (seasons.cursor_encode) back to its parts, after checking its mac for this
-- board; XP400 when it is not one this board issued (another board or season, tampered,
-- garbage). The macs are compared through sha256, so the comparison's time says nothing
-- about how much of a guess was right.
create or replace function seasons.cursor_decode(
    p_board text, p_cursor text, out rank bigint, out xp bigint, out reached_at timestamptz, out user_id uuid
)
language plpgsql
stable
as $$
declare
    v_position text := substring(p_cursor from '^(.*)~[^~]*$');
    v_mac text := substring(p_cursor from '~([^~]*)$');
begin
    if v_position is null
       or sha256(convert_to(v_mac, 'UTF8')) <> sha256(convert_to(seasons.board_mac(p_board || '|' || v_position), 'UTF8')) then
        raise exception 'invalid cursor: not one this board issued' using errcode = 'XP400';
    end if;
    rank := split_part(v_position, '~', 1)::bigint;
    xp := split_part(v_position, '~', 2)::bigint;
    reached_at := to_timestamp(split_part(v_position, '~', 3), 'YYYY-MM-DD"T"HH24:MI:SS.US') at time zone 'UTC';
    user_id := split_part(v_position, '~', 4)::uuid;
exception when data_exception then
    raise exception 'malformed cursor' using errcode = 'XP400';
end;
$$;
""",
    'seasons/cursor_encode.sql': """-- drop: drop function if exists seasons.cursor_encode(text, bigint, bigint, timestamptz, uuid);
-- The position after a board entry, URL-safe as it is: `rank~xp~reached_at~user_id~mac`, where
-- mac = seasons.board_mac(board || '|' || position) and board names the board and season
-- (`season:2026-12:reality`, `all-time`): a cursor only pages the board that issued it, and
-- nobody can write one with a rank of their choosing.
create or replace function seasons.cursor_encode(
    p_board text, p_rank bigint, p_xp bigint, p_reached_at timestamptz, p_user_id uuid
)
returns text
language plpgsql
stable
as $$
declare
    v_position text := p_rank || '~' || p_xp || '~'
                       || to_char(p_reached_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '~' || p_user_id;
begin
    return v_position || '~' || seasons.board_mac(p_board || '|' || v_position);
end;
$$;
""",
    'seasons/leaderboard.sql': """-- drop: drop function if exists seasons.leaderboard(text, text, text, integer);
-- A page of a season board, live from the ranking index: exact competition ranks on the total
-- order (xp desc, reached_at, user_id). Keyset-paginated: the cursor is the last entry's
-- (rank, xp, reached_at, user_id), signed for this season and mode, and the next page is read as two index ranges (the rest of
-- that XP tie, then lower XP), so page n costs what page 1 costs.
create or replace function seasons.leaderboard(p_season text, p_mode text, p_cursor text, p_limit integer)
returns json
language plpgsql
volatile
-- The page statement's custom plans (limit folded in) looked cheaper than its generic plan, so
-- every call re-planned a three-way join; the generic plan (nested loops) serves every page.
set plan_cache_mode = force_generic_plan
as $$
declare
    v_season xp.seasons := seasons.resolve(p_season);
    v_limit integer := least(greatest(coalesce(p_limit, 20), 1), 100);
    v_rank bigint := 0;
    v_xp bigint := null;
    v_reached timestamptz;
    v_user uuid;
    v_entries json := '[]'::json;
    v_next text;
    v_board text;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    v_board := 'season:' || v_season.id || ':' || p_mode;  -- what its cursors are signed for
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode(v_board, p_cursor) c;
    end if;
    -- One statement builds the page (json_agg, not an array grown row by row).
    with page as (
        select p.user_id, p.xp, p.reached_at, u.username, u.display_name, u.avatar_url,
               case when p_mode = 'reality' then t.reality_level else t.cyber_level end as level,
               row_number() over (order by p.xp desc, p.reached_at, p.user_id) as n
        from (
            (select s.user_id, s.xp, s.reached_at from xp.season_scores s
             where v_xp is not null and s.season_id = v_season.id and s.mode = p_mode and s.xp = v_xp
               and (s.reached_at, s.user_id) > (v_reached, v_user)
             order by s.reached_at, s.user_id limit v_limit + 1)
            union all
            (select s.user_id, s.xp, s.reached_at from xp.season_scores s
             where s.season_id = v_season.id and s.mode = p_mode and s.xp > 0 and (v_xp is null or s.xp < v_xp)
             order by s.xp desc, s.reached_at, s.user_id limit v_limit + 1)
        ) p
        join app.users u on u.id = p.user_id
        left join xp.totals t on t.user_id = p.user_id
        order by p.xp desc, p.reached_at, p.user_id
        limit v_limit + 1
    )
    select coalesce(json_agg(seasons.board_entry(v_rank + n, user_id, username, display_name, avatar_url, xp, level)
                              order by n) filter (where n <= v_limit), '[]'::json),
           -- a next page exists when one more row came back: the cursor is this page's last line
           case when count(*) > v_limit
                then max(seasons.cursor_encode(v_board, v_rank + n, xp, reached_at, user_id)) filter (where n = v_limit) end
      into v_entries, v_next
      from page;
    return json_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'generated_at', now(),
                              'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
    'xp/award.sql': """-- drop: drop function if exists xp.award(uuid, text, numeric, text, text, timestamptz, jsonb, text);
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
                   v_activity.mode, null, p_activity, p_units, v_activity.xp_per_unit, v_activity.daily_cap_units,
                   p_scope,
                   sha256(convert_to(jsonb_build_array(
                       p_user_id, p_activity, trim_scale(p_units),
                       to_char(p_occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                       coalesce(p_metadata, '{}'::jsonb))::text, 'UTF8')));
end;
$$;
""",
    'xp/award_event.sql': """-- drop: drop function if exists xp.award_event(uuid, text, text, numeric, text, timestamptz, jsonb, uuid, uuid);
-- POST /xp/events: resolves the user by id or Discord id, then awards. p_self_only is the
-- caller's own id when a user token (not a trusted API key) is calling: then only
-- self_report activities, only on themselves, and their keys live in their own namespace.
-- p_api_key is the calling API key's id: a trusted service's keys live in that key's
-- namespace (source `activity`), so two services never replay each other's awards.
create or replace function xp.award_event(
    p_user_id uuid, p_discord_id text, p_activity text, p_units numeric, p_idempotency_key text,
    p_occurred_at timestamptz, p_metadata jsonb, p_self_only uuid, p_api_key uuid default null
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
        return xp.award(v_user_id, p_activity, p_units, 'activity', p_idempotency_key, p_occurred_at, p_metadata,
                        p_api_key::text);
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
    return xp.award(v_user_id, p_activity, p_units, 'self_report', p_idempotency_key, p_occurred_at, p_metadata,
                    p_self_only::text);
end;
$$;
""",
    'xp/award_events.sql': """-- drop: drop function if exists xp.award_events(uuid[], text[], text[], numeric[], text[], timestamptz[], jsonb[], uuid[], uuid[]);
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
    p_occurred_at timestamptz[], p_metadata jsonb[], p_self_only uuid[], p_api_keys uuid[] default null
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
                                       p_units[v_i], p_keys[v_i], p_occurred_at[v_i], p_metadata[v_i], p_self_only[v_i],
                                       p_api_keys[v_i]);
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
    'xp/book.sql': """-- drop: drop function if exists xp.book(uuid, text, text, timestamptz, jsonb, text, integer, text, numeric, numeric, numeric, text, bytea);
-- Books one award, exactly once per (source, scope, idempotency key): the core that xp.award,
-- xp.award_fixed and xp.adjust share, flattened into one function because it is the hot path
-- (every nested SQL-language call was planned afresh per call; plpgsql caches its plans).
-- Steps, in one transaction: checks; lock the user's totals row (always first, so two awards
-- for one user queue instead of deadlocking); a used key answers its original result
-- (replayed = true); the daily cap in units (activities: p_units x p_xp_per_unit, capped at
-- p_cap units per user, activity and UTC day); the ledger row; totals with levels and layers;
-- the season score of the mode; level-up and layer-up rows in the outbox; the stored answer.
-- Keyed by user throughout: O(1) whatever the ledger size.
-- p_scope namespaces the key (stored as `scope:key`; the 200-character limit is the caller's
-- key's). p_fingerprint identifies the request (xp.award); a used key answers its original
-- result only for the same fingerprint, else XP409. Rows without one (fixed awards,
-- adjustments, awards booked before 0017) replay as before.
create or replace function xp.book(
    p_user_id uuid, p_source text, p_key text, p_at timestamptz, p_metadata jsonb, p_mode text, p_xp integer,
    p_activity text default null, p_units numeric default null, p_xp_per_unit numeric default null,
    p_cap numeric default null, p_scope text default null, p_fingerprint bytea default null
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
    v_key text;
begin
    if p_key is null or char_length(p_key) not between 1 and 200 then
        raise exception 'idempotency_key must be 1 to 200 characters' using errcode = 'XP422';
    end if;
    v_key := case when p_scope is null then p_key else p_scope || ':' || p_key end;
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
    select * into v_done from xp.idempotency where source = p_source and idempotency_key = v_key;
    if found then
        if v_done.user_id <> p_user_id then
            raise exception 'idempotency key % was already used for another user', p_key using errcode = 'XP409';
        end if;
        if v_done.request_hash is distinct from p_fingerprint and v_done.request_hash is not null then
            raise exception 'idempotency key % was already used for a different request', p_key using errcode = 'XP409';
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
    values (p_user_id, p_activity, p_source, p_mode, v_units, v_xp, v_key, p_at,
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
    insert into xp.idempotency (source, idempotency_key, user_id, event_id, result, request_hash)
    values (p_source, v_key, p_user_id, v_event_id, v_result, p_fingerprint);
    return v_result;
end;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'seasons/all_time.sql': """-- drop: drop function if exists seasons.all_time(text, integer);
-- The all-time board by total XP, live from xp.totals' ranking index, keyset-paginated like
-- seasons.leaderboard (ties: whoever reached that total first, then user id).
create or replace function seasons.all_time(p_cursor text, p_limit integer)
returns json
language plpgsql
stable
-- One generic plan for the page statement (see seasons.leaderboard).
set plan_cache_mode = force_generic_plan
as $$
declare
    v_limit integer := least(greatest(coalesce(p_limit, 20), 1), 100);
    v_rank bigint := 0;
    v_xp bigint := null;
    v_reached timestamptz;
    v_user uuid;
    v_entries json := '[]'::json;
    v_next text;
begin
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode(p_cursor) c;
    end if;
    -- One statement builds the page (json_agg, not an array grown row by row).
    with page as (
        select p.*, u.username, u.display_name, u.avatar_url,
               row_number() over (order by p.xp desc, p.reached_at, p.user_id) as n
        from (
            (select t.user_id, t.total_xp as xp, t.reached_at, t.level from xp.totals t
             where v_xp is not null and t.total_xp = v_xp and (t.reached_at, t.user_id) > (v_reached, v_user)
             order by t.reached_at, t.user_id limit v_limit + 1)
            union all
            (select t.user_id, t.total_xp, t.reached_at, t.level from xp.totals t
             where t.total_xp > 0 and (v_xp is null or t.total_xp < v_xp)
             order by t.total_xp desc, t.reached_at, t.user_id limit v_limit + 1)
        ) p
        join app.users u on u.id = p.user_id
        order by p.xp desc, p.reached_at, p.user_id
        limit v_limit + 1
    )
    select coalesce(json_agg(seasons.board_entry(v_rank + n, user_id, username, display_name, avatar_url, xp, level)
                              order by n) filter (where n <= v_limit), '[]'::json),
           -- a next page exists when one more row came back: the cursor is this page's last line
           case when count(*) > v_limit
                then max(seasons.cursor_encode(v_rank + n, xp, reached_at, user_id)) filter (where n = v_limit) end
      into v_entries, v_next
      from page;
    return json_build_object('board', 'all-time', 'generated_at', now(), 'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
    'seasons/board_mac.sql': None,
    'seasons/cursor_decode.sql': """-- drop: drop function if exists seasons.cursor_decode(text);
-- A board cursor `rank~xp~reached_at(UTC, microseconds)~user_id` back to its parts; XP400
-- when it is not one of ours.
create or replace function seasons.cursor_decode(
    p_cursor text, out rank bigint, out xp bigint, out reached_at timestamptz, out user_id uuid
)
language plpgsql
immutable
as $$
begin
    rank := split_part(p_cursor, '~', 1)::bigint;
    xp := split_part(p_cursor, '~', 2)::bigint;
    reached_at := to_timestamp(split_part(p_cursor, '~', 3), 'YYYY-MM-DD"T"HH24:MI:SS.US') at time zone 'UTC';
    user_id := split_part(p_cursor, '~', 4)::uuid;
exception when others then
    raise exception 'malformed cursor' using errcode = 'XP400';
end;
$$;
""",
    'seasons/cursor_encode.sql': """-- drop: drop function if exists seasons.cursor_encode(bigint, bigint, timestamptz, uuid);
-- The position after a board entry, URL-safe as it is: `rank~xp~reached_at~user_id`.
create or replace function seasons.cursor_encode(p_rank bigint, p_xp bigint, p_reached_at timestamptz, p_user_id uuid)
returns text
language sql
stable
as $$
    select p_rank || '~' || p_xp || '~' || to_char(p_reached_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
           || '~' || p_user_id;
$$;
""",
    'seasons/leaderboard.sql': """-- drop: drop function if exists seasons.leaderboard(text, text, text, integer);
-- A page of a season board, live from the ranking index: exact competition ranks on the total
-- order (xp desc, reached_at, user_id). Keyset-paginated: the cursor is the last entry's
-- (rank, xp, reached_at, user_id), and the next page is read as two index ranges (the rest of
-- that XP tie, then lower XP), so page n costs what page 1 costs.
create or replace function seasons.leaderboard(p_season text, p_mode text, p_cursor text, p_limit integer)
returns json
language plpgsql
volatile
-- The page statement's custom plans (limit folded in) looked cheaper than its generic plan, so
-- every call re-planned a three-way join; the generic plan (nested loops) serves every page.
set plan_cache_mode = force_generic_plan
as $$
declare
    v_season xp.seasons := seasons.resolve(p_season);
    v_limit integer := least(greatest(coalesce(p_limit, 20), 1), 100);
    v_rank bigint := 0;
    v_xp bigint := null;
    v_reached timestamptz;
    v_user uuid;
    v_entries json := '[]'::json;
    v_next text;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode(p_cursor) c;
    end if;
    -- One statement builds the page (json_agg, not an array grown row by row).
    with page as (
        select p.user_id, p.xp, p.reached_at, u.username, u.display_name, u.avatar_url,
               case when p_mode = 'reality' then t.reality_level else t.cyber_level end as level,
               row_number() over (order by p.xp desc, p.reached_at, p.user_id) as n
        from (
            (select s.user_id, s.xp, s.reached_at from xp.season_scores s
             where v_xp is not null and s.season_id = v_season.id and s.mode = p_mode and s.xp = v_xp
               and (s.reached_at, s.user_id) > (v_reached, v_user)
             order by s.reached_at, s.user_id limit v_limit + 1)
            union all
            (select s.user_id, s.xp, s.reached_at from xp.season_scores s
             where s.season_id = v_season.id and s.mode = p_mode and s.xp > 0 and (v_xp is null or s.xp < v_xp)
             order by s.xp desc, s.reached_at, s.user_id limit v_limit + 1)
        ) p
        join app.users u on u.id = p.user_id
        left join xp.totals t on t.user_id = p.user_id
        order by p.xp desc, p.reached_at, p.user_id
        limit v_limit + 1
    )
    select coalesce(json_agg(seasons.board_entry(v_rank + n, user_id, username, display_name, avatar_url, xp, level)
                              order by n) filter (where n <= v_limit), '[]'::json),
           -- a next page exists when one more row came back: the cursor is this page's last line
           case when count(*) > v_limit
                then max(seasons.cursor_encode(v_rank + n, xp, reached_at, user_id)) filter (where n = v_limit) end
      into v_entries, v_next
      from page;
    return json_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'generated_at', now(),
                              'entries', v_entries, 'next_cursor', v_next);
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
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

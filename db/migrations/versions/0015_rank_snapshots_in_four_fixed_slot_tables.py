"""Rank snapshots in four fixed slot tables read with static SQL, names and levels on each line

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 23:50:49 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Snapshots move from a new table per generation (read with dynamic SQL, planned on every
# call) to four fixed slot tables (xp.rebuild_board). The old generations are dropped; boards
# answer from a live count until the current season's are rebuilt, at the end of the upgrade.
# Board pages and around-me answer json instead of jsonb (built once, sent as text): their
# return types change, so the old functions go first, both ways.
RETURN_TYPES = """
drop function seasons.board_entry(bigint, uuid, text, text, text, bigint, integer);
drop function seasons.leaderboard(text, text, text, integer);
drop function seasons.all_time(text, integer);
drop function seasons.around(text, text, uuid, integer);
"""

SCHEMA_UP = RETURN_TYPES + """
do $do$
declare
    t text;
begin
    for t in select table_name from xp.rank_tables loop
        execute format('drop table if exists xp.%I', t);
    end loop;
    for i in 1..4 loop
        execute format(
            'create unlogged table xp.rank_slot_%s (rank bigint, neg_xp bigint, reached_at timestamptz, user_id uuid,
             xp bigint, username text, display_name text, avatar_url text, level integer)', i);
    end loop;
end
$do$;
drop table xp.rank_tables;
delete from xp.rank_generations;
alter table xp.rank_generations
    drop column table_name,
    add column slot integer not null check (slot between 1 and 4),
    add column spare_slot integer check (spare_slot between 1 and 4);
"""

REBUILD = """
select xp.rebuild_board(s.id, m.mode)
  from xp.seasons s cross join (values ('reality'), ('cyber')) m(mode)
 where s.id = to_char(now() at time zone 'UTC', 'YYYY-MM');
"""

SCHEMA_DOWN = """
delete from xp.rank_generations;
do $do$
begin
    for i in 1..4 loop
        execute format('drop table if exists xp.rank_slot_%s', i);
    end loop;
end
$do$;
alter table xp.rank_generations drop column slot, drop column spare_slot, add column table_name text not null;
create unlogged table xp.rank_tables (
    table_name text primary key,
    season_id  text not null,
    mode       text not null,
    generation bigint not null
);
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
    'seasons/around.sql': """-- drop: drop function if exists seasons.around(text, text, uuid, integer);
-- The caller's standing and the users around them (p_around above and below), from the board's
-- rank snapshot (exact as of generated_at): two short walks of its index from the caller's
-- place by their live score (xp.rank_walk), names and levels read from the same adjacent
-- snapshot lines. A caller whose XP moved since the snapshot is placed just behind the line
-- ahead of them, and the lines behind them show one rank lower. A closed season answers from
-- its final standings. rank null and no entries without XP this season; without a snapshot
-- (a board's first seconds, or a past season not closed yet), the rank alone
-- (xp.season_standing).
create or replace function seasons.around(p_season text, p_mode text, p_user_id uuid, p_around integer)
returns json
language plpgsql
volatile
-- The line statement's custom plans (limits folded in) looked cheaper than its generic plan, so
-- every call re-planned it; one generic plan per session serves every call.
set plan_cache_mode = force_generic_plan
as $$
declare
    v_season xp.seasons := seasons.resolve(p_season);
    v_around integer := least(greatest(coalesce(p_around, 5), 0), 50);
    v_xp bigint;
    v_reached timestamptz;
    v_slot integer;
    v_read integer;
    v_generated_at timestamptz;
    v_rank bigint;
    v_at_user uuid;
    v_at_level integer;
    v_entries json;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    select xp, reached_at into v_xp, v_reached from xp.season_scores
     where season_id = v_season.id and mode = p_mode and user_id = p_user_id;
    if coalesce(v_xp, 0) > 0 and v_season.status = 'closed' then
        -- a closed season answers from its final standings, frozen by seasons.close
        select f.rank into v_rank from seasons.final_standings f
         where f.season_id = v_season.id and f.mode = p_mode and f.user_id = p_user_id;
        if v_rank is not null then
            select json_agg(seasons.board_entry(
                       f.rank, u.id, u.username, u.display_name, u.avatar_url, f.xp,
                       case when p_mode = 'reality' then t.reality_level else t.cyber_level end) order by f.rank)
              into v_entries
              from seasons.final_standings f
              join app.users u on u.id = f.user_id
              left join xp.totals t on t.user_id = f.user_id
             where f.season_id = v_season.id and f.mode = p_mode
               and f.rank between v_rank - v_around and v_rank + v_around;
            return json_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_season.closed_at,
                                     'season', seasons.season_json(v_season), 'mode', p_mode, 'entries', v_entries);
        end if;
    end if;
    if coalesce(v_xp, 0) > 0 then
        loop
            select slot into v_slot from xp.rank_generations where season_id = v_season.id and mode = p_mode;
            exit when v_slot is null;
            if v_around = 0 then
                -- the caller's own line alone: one probe
                select w.rank, w.user_id, w.level into v_rank, v_at_user, v_at_level
                  from xp.rank_walk(v_slot, -v_xp, v_reached, p_user_id, 1, 0) w;
                v_rank := case when v_rank is null then 1 when v_at_user = p_user_id then v_rank else v_rank + 1 end;
                if v_at_user is distinct from p_user_id then
                    select case when p_mode = 'reality' then t.reality_level else t.cyber_level end into v_at_level
                      from xp.totals t where t.user_id = p_user_id;
                end if;
                select json_build_array(seasons.board_entry(
                           v_rank, u.id, u.username, u.display_name, u.avatar_url, v_xp, v_at_level))
                  into v_entries from app.users u where u.id = p_user_id;
            else
                with walk as (
                    select * from xp.rank_walk(v_slot, -v_xp, v_reached, p_user_id, v_around + 1, v_around)
                ), at as (  -- the line at the caller's place or just ahead of it
                    select w.rank, w.user_id = p_user_id as own, w.level from walk w where w.ahead order by w.rank desc limit 1
                ), me as (
                    select coalesce((select case when at.own then at.rank else at.rank + 1 end from at), 1) as rank,
                           coalesce((select not at.own from at), true) as moved,
                           (select at.level from at where at.own) as level
                ), lines as (
                    (select w.rank, w.user_id, w.username, w.display_name, w.avatar_url, w.xp, w.level
                       from walk w where w.ahead and w.user_id <> p_user_id order by w.rank desc limit v_around)
                    union all
                    select w.rank + me.moved::int, w.user_id, w.username, w.display_name, w.avatar_url, w.xp, w.level
                      from walk w, me where not w.ahead
                    union all
                    select me.rank, u.id, u.username, u.display_name, u.avatar_url, v_xp,
                           coalesce(me.level, (select case when p_mode = 'reality' then t.reality_level else t.cyber_level end
                                                 from xp.totals t where t.user_id = p_user_id))
                      from me, app.users u where u.id = p_user_id
                )
                select (select rank from me),
                       json_agg(seasons.board_entry(l.rank, l.user_id, l.username, l.display_name, l.avatar_url, l.xp, l.level)
                                 order by l.rank)
                  into v_rank, v_entries
                  from lines l;
            end if;
            -- The walk now holds its slot, so no rebuild can rewrite it before this transaction
            -- ends: if the board still points there, what was read is that generation.
            v_read := v_slot;
            select slot, generated_at into v_slot, v_generated_at from xp.rank_generations
             where season_id = v_season.id and mode = p_mode;
            if v_slot = v_read then
                return json_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at,
                                         'season', seasons.season_json(v_season), 'mode', p_mode,
                                         'entries', coalesce(v_entries, '[]'::json));
            end if;
        end loop;
    end if;
    return (xp.season_standing(v_season.id, p_mode, p_user_id)
        || jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'entries', '[]'::jsonb))::json;
end;
$$;
""",
    'seasons/board_entry.sql': """-- drop: drop function if exists seasons.board_entry(bigint, uuid, text, text, text, bigint, integer);
-- One board line as the API shows it: rank, the user's public face, XP and level. json, not
-- jsonb: pages are built once and sent as text, so jsonb's binary form was pure conversion cost.
create or replace function seasons.board_entry(
    p_rank bigint, p_user_id uuid, p_username text, p_display_name text, p_avatar_url text, p_xp bigint,
    p_level integer
)
returns json
language sql
stable
as $$
    select json_build_object(
        'rank', p_rank,
        'user', json_build_object('id', p_user_id, 'username', p_username, 'display_name', p_display_name,
                                   'avatar_url', p_avatar_url),
        'xp', p_xp,
        'level', coalesce(p_level, 1));
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
    'xp/rank_walk.sql': """-- drop: drop function if exists xp.rank_walk(integer, bigint, timestamptz, uuid, integer, integer);
-- Reads a board snapshot in slot p_slot (xp.rebuild_board) around a place on the board order
-- (neg_xp, reached_at, user_id): up to p_ahead lines at or ahead of it and up to p_behind lines
-- after it (p_user_id's own line skipped), each an index walk from the place. `ahead` tells
-- which side a line is on; ranks order them.
-- One static statement per slot, not dynamic SQL: each keeps a cached plan, and a call locks
-- only the slot it reads, so a rebuild may rewrite another slot meanwhile.
create or replace function xp.rank_walk(
    p_slot integer, p_neg_xp bigint, p_reached timestamptz, p_user_id uuid, p_ahead integer, p_behind integer
)
returns table (ahead boolean, rank bigint, user_id uuid, xp bigint, username text, display_name text,
               avatar_url text, level integer)
language plpgsql
volatile
-- A generic plan costs a LIMIT parameter as a tenth of the table, so plan_cache_mode auto kept
-- choosing custom plans: the walk was planned on every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    case p_slot
    when 1 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_1 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_1 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 2 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_2 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_2 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 3 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_3 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_3 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 4 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_4 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_4 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    end case;
end;
$$;
""",
    'xp/rebuild_board.sql': """-- drop: drop function if exists xp.rebuild_board(text, text);
-- Rebuilds the rank snapshot of one board (season and mode): exact competition ranks on the
-- board's total order (xp desc, reached_at, user_id), bulk-written in that order into an
-- unlogged slot table (derived data, rebuilt every few seconds: no WAL) with one index on the
-- order. Each line carries the user's name, avatar and level, so "who is around me" reads a
-- few adjacent rows instead of looking up each neighbour.
--
-- Slots: four fixed tables, xp.rank_slot_1..4, read with static SQL (xp.rank_walk) so readers
-- keep cached plans. A board owns two: the one readers use and a spare, which the next rebuild
-- rewrites and then flips to in one row update of xp.rank_generations. Readers never wait on a
-- rebuild and never see half of one. A board's first two builds each take a slot no board
-- holds, else one from the oldest board of an earlier season, which then answers from a live
-- count (exact; a past season's scores no longer move). A transaction still reading the spare
-- from before the last flip makes the rebuild fail after 5 s (55P03) rather than wait: the
-- board keeps its snapshot, and the next run tries again. Returns the number of ranked rows.
create or replace function xp.rebuild_board(p_season text, p_mode text)
returns bigint
language plpgsql
volatile
-- the build statement is cheap to plan and too short-lived to gain from compiling
set jit = off
as $$
declare
    v_generation bigint := nextval('xp.rank_generation');
    v_lock_timeout text := current_setting('lock_timeout');
    v_slot integer;
    v_old xp.rank_generations;
    v_table text;
    v_rows bigint;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    -- rebuilds of one board queue behind each other
    perform pg_advisory_xact_lock(hashtext('xp.rebuild_board'), hashtext(p_season || '/' || p_mode));
    select spare_slot into v_slot from xp.rank_generations where season_id = p_season and mode = p_mode;
    if v_slot is null then
        -- slot allocations one at a time, each seeing the last one committed
        perform pg_advisory_xact_lock(hashtext('xp.rebuild_board'), 0);
        select s into v_slot from generate_series(1, 4) s
         where s not in (select slot from xp.rank_generations
                         union all select spare_slot from xp.rank_generations where spare_slot is not null)
         order by s limit 1;
        if v_slot is null then
            delete from xp.rank_generations
             where (season_id, mode) = (select season_id, mode from xp.rank_generations
                                         where season_id < p_season order by season_id, generated_at limit 1)
            returning * into v_old;
            if v_old is null then
                raise exception 'every rank slot is held by a board of season % or later', p_season
                    using errcode = 'XP409';
            end if;
            v_slot := coalesce(v_old.spare_slot, v_old.slot);
        end if;
    end if;

    v_table := 'rank_slot_' || v_slot;
    -- only a transaction that read this board before its last flip can still hold the spare
    perform set_config('lock_timeout', '5s', true);
    begin
        execute format('drop table if exists xp.%I', v_table);
    exception when lock_not_available then
        raise exception 'rank slot % (board %/%) is still read by an open transaction', v_slot, p_season, p_mode
            using errcode = '55P03', hint = 'the board keeps its current snapshot; the next rebuild tries again';
    end;
    perform set_config('lock_timeout', v_lock_timeout, true);
    execute format(
        'create unlogged table xp.%I as
         select row_number() over (order by s.xp desc, s.reached_at, s.user_id) as rank,
                -s.xp as neg_xp, s.reached_at, s.user_id, s.xp,
                u.username, u.display_name, u.avatar_url, t.%I as level
         from xp.season_scores s
         join app.users u on u.id = s.user_id
         left join xp.totals t on t.user_id = s.user_id
         where s.season_id = %L and s.mode = %L and s.xp > 0',
        v_table, p_mode || '_level', p_season, p_mode);
    get diagnostics v_rows = row_count;
    execute format('create index on xp.%I (neg_xp, reached_at, user_id)', v_table);
    insert into xp.rank_generations as g (season_id, mode, generation, slot, spare_slot, generated_at, rows)
    values (p_season, p_mode, v_generation, v_slot, null, now(), v_rows)
    on conflict (season_id, mode) do update
        set generation = excluded.generation, spare_slot = g.slot, slot = excluded.slot,
            generated_at = excluded.generated_at, rows = excluded.rows;
    return v_rows;
end;
$$;
""",
    'xp/season_standing.sql': """-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank, generated_at} of a user in a season and mode; rank null without XP this season.
-- The rank comes from the board's latest snapshot (exact as of generated_at): one probe for the
-- last line at or before the user's place by their live score. That line is the user (rank as
-- it stands) or, for a user whose XP moved since, the one just ahead (rank one behind it). Never
-- a count over the board. Without a snapshot (before a board's first, or after its slot went to
-- a later season's board) the rank is counted live on the ranking index.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language plpgsql
-- volatile: the pointer is read again after the probe with a fresh snapshot (see the loop)
volatile
as $$
declare
    v_xp bigint;
    v_reached timestamptz;
    v_slot integer;
    v_read integer;
    v_generated_at timestamptz;
    v_rank bigint;
    v_ahead uuid;
begin
    select xp, reached_at into v_xp, v_reached from xp.season_scores
     where season_id = p_season and mode = p_mode and user_id = p_user_id;
    if coalesce(v_xp, 0) = 0 then
        return jsonb_build_object('xp', 0, 'rank', null);
    end if;
    loop
        select slot into v_slot from xp.rank_generations where season_id = p_season and mode = p_mode;
        exit when v_slot is null;
        select w.rank, w.user_id into v_rank, v_ahead from xp.rank_walk(v_slot, -v_xp, v_reached, p_user_id, 1, 0) w;
        -- The probe now holds its slot, so no rebuild can rewrite it before this transaction
        -- ends: if the board still points there, what was read is that generation.
        v_read := v_slot;
        select slot, generated_at into v_slot, v_generated_at from xp.rank_generations
         where season_id = p_season and mode = p_mode;
        if v_slot = v_read then
            v_rank := case when v_rank is null then 1 when v_ahead = p_user_id then v_rank else v_rank + 1 end;
            return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at);
        end if;
    end loop;
    select 1 + count(*) into v_rank from xp.season_scores
     where season_id = p_season and mode = p_mode
       and (xp > v_xp or (xp = v_xp and (reached_at, user_id) < (v_reached, p_user_id)));
    return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', now());
end;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'seasons/all_time.sql': """-- drop: drop function if exists seasons.all_time(text, integer);
-- The all-time board by total XP, live from xp.totals' ranking index, keyset-paginated like
-- seasons.leaderboard (ties: whoever reached that total first, then user id).
create or replace function seasons.all_time(p_cursor text, p_limit integer)
returns jsonb
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
    v_entries jsonb := '[]'::jsonb;
    v_next text;
begin
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode(p_cursor) c;
    end if;
    -- One statement builds the page (jsonb_agg, not an array grown row by row).
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
    select coalesce(jsonb_agg(seasons.board_entry(v_rank + n, user_id, username, display_name, avatar_url, xp, level)
                              order by n) filter (where n <= v_limit), '[]'::jsonb),
           -- a next page exists when one more row came back: the cursor is this page's last line
           case when count(*) > v_limit
                then max(seasons.cursor_encode(v_rank + n, xp, reached_at, user_id)) filter (where n = v_limit) end
      into v_entries, v_next
      from page;
    return jsonb_build_object('board', 'all-time', 'generated_at', now(), 'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
    'seasons/around.sql': """-- drop: drop function if exists seasons.around(text, text, uuid, integer);
-- The caller's standing and the users around them (p_around above and below), from the board's
-- rank snapshot (exact as of generated_at): two short walks of its index from the caller's
-- place by their live score, then one static join for names and levels. A caller whose XP
-- moved since the snapshot is placed just behind the entry ahead of them, and the entries
-- behind them show one rank lower. rank null and no entries without XP this season; before a
-- board's first snapshot, the rank alone (xp.season_standing).
create or replace function seasons.around(p_season text, p_mode text, p_user_id uuid, p_around integer)
returns jsonb
language plpgsql
volatile
-- Custom plans of the static statements (array sizes folded in) looked cheaper than the generic
-- one, so every call re-planned them; one generic plan per session serves every call.
set plan_cache_mode = force_generic_plan
as $$
declare
    v_season xp.seasons := seasons.resolve(p_season);
    v_around integer := least(greatest(coalesce(p_around, 5), 0), 50);
    v_xp bigint;
    v_reached timestamptz;
    v_table text;
    v_generated_at timestamptz;
    v_ranks bigint[];
    v_users uuid[];
    v_xps bigint[];
    v_pos integer[];
    v_at integer;
    v_rank bigint := 1;
    v_shift integer := 1;
    v_entries jsonb;
    v_standing jsonb;
    v_row record;
    v_n integer := 0;
    v_behind integer := 0;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    select xp, reached_at into v_xp, v_reached from xp.season_scores
     where season_id = v_season.id and mode = p_mode and user_id = p_user_id;
    select table_name, generated_at into v_table, v_generated_at from xp.rank_generations
     where season_id = v_season.id and mode = p_mode;
    if coalesce(v_xp, 0) = 0 or v_table is null then
        return xp.season_standing(v_season.id, p_mode, p_user_id)
            || jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'entries', '[]'::jsonb);
    end if;
    if v_around = 0 then
        -- The caller's own rank alone: one probe of the snapshot, and their own line.
        v_standing := xp.season_standing(v_season.id, p_mode, p_user_id);
        select jsonb_build_array(seasons.board_entry(
                   (v_standing->>'rank')::bigint, u.id, u.username, u.display_name, u.avatar_url, v_xp,
                   case when p_mode = 'reality' then t.reality_level else t.cyber_level end))
          into v_entries
          from app.users u left join xp.totals t on t.user_id = u.id
         where u.id = p_user_id;
        return v_standing || jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode,
                                                'entries', coalesce(v_entries, '[]'::jsonb));
    end if;

    -- pos: -1 is the entry at or just ahead of the caller's place, -2 the one ahead of it ...;
    -- 1, 2 ... the entries behind (the caller's own stale entry skipped). One dynamic statement
    -- of two plain index walks: dynamic SQL is planned on every call, and this plans in tens
    -- of microseconds.
    v_ranks := '{}'; v_users := '{}'; v_xps := '{}'; v_pos := '{}';
    for v_row in execute format(
        '(select rank, user_id, xp, true as ahead from xp.%1$I where (neg_xp, reached_at, user_id) <= ($1, $2, $3)
          order by neg_xp desc, reached_at desc, user_id desc limit $4 + 1)
         union all
         (select rank, user_id, xp, false from xp.%1$I where (neg_xp, reached_at, user_id) > ($1, $2, $3)
          and user_id <> $3 and $4 > 0
          order by neg_xp, reached_at, user_id limit $4)', v_table)
        using -v_xp, v_reached, p_user_id, v_around
    loop
        v_ranks := v_ranks || v_row.rank; v_users := v_users || v_row.user_id; v_xps := v_xps || v_row.xp;
        if v_row.ahead then
            v_n := v_n - 1;
            v_pos := v_pos || v_n;
        else
            v_behind := v_behind + 1;
            v_pos := v_pos || v_behind;
        end if;
    end loop;
    v_at := array_position(v_pos, -1);
    if v_at is not null then
        if v_users[v_at] = p_user_id then
            v_rank := v_ranks[v_at];
            v_shift := 0;
        else
            v_rank := v_ranks[v_at] + 1;
        end if;
    end if;

    select jsonb_agg(seasons.board_entry(
               e.rank, u.id, u.username, u.display_name, u.avatar_url, e.xp,
               case when p_mode = 'reality' then t.reality_level else t.cyber_level end)
           order by e.rank, e.pos)
      into v_entries
      from (
          select s.rank + case when s.pos > 0 then v_shift else 0 end as rank, s.user_id, s.xp, s.pos
          from unnest(v_ranks, v_users, v_xps, v_pos) as s(rank, user_id, xp, pos)
          where s.user_id <> p_user_id and s.pos >= -v_around - (1 - v_shift)
          union all
          select v_rank, p_user_id, v_xp, 0
      ) e
      join app.users u on u.id = e.user_id
      left join xp.totals t on t.user_id = e.user_id;
    return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at,
                              'season', seasons.season_json(v_season), 'mode', p_mode,
                              'entries', coalesce(v_entries, '[]'::jsonb));
end;
$$;
""",
    'seasons/board_entry.sql': """-- drop: drop function if exists seasons.board_entry(bigint, uuid, text, text, text, bigint, integer);
-- One board line as the API shows it: rank, the user's public face, XP and level.
create or replace function seasons.board_entry(
    p_rank bigint, p_user_id uuid, p_username text, p_display_name text, p_avatar_url text, p_xp bigint,
    p_level integer
)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'rank', p_rank,
        'user', jsonb_build_object('id', p_user_id, 'username', p_username, 'display_name', p_display_name,
                                   'avatar_url', p_avatar_url),
        'xp', p_xp,
        'level', coalesce(p_level, 1));
$$;
""",
    'seasons/leaderboard.sql': """-- drop: drop function if exists seasons.leaderboard(text, text, text, integer);
-- A page of a season board, live from the ranking index: exact competition ranks on the total
-- order (xp desc, reached_at, user_id). Keyset-paginated: the cursor is the last entry's
-- (rank, xp, reached_at, user_id), and the next page is read as two index ranges (the rest of
-- that XP tie, then lower XP), so page n costs what page 1 costs.
create or replace function seasons.leaderboard(p_season text, p_mode text, p_cursor text, p_limit integer)
returns jsonb
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
    v_entries jsonb := '[]'::jsonb;
    v_next text;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode(p_cursor) c;
    end if;
    -- One statement builds the page (jsonb_agg, not an array grown row by row).
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
    select coalesce(jsonb_agg(seasons.board_entry(v_rank + n, user_id, username, display_name, avatar_url, xp, level)
                              order by n) filter (where n <= v_limit), '[]'::jsonb),
           -- a next page exists when one more row came back: the cursor is this page's last line
           case when count(*) > v_limit
                then max(seasons.cursor_encode(v_rank + n, xp, reached_at, user_id)) filter (where n = v_limit) end
      into v_entries, v_next
      from page;
    return jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'generated_at', now(),
                              'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
    'xp/rank_walk.sql': None,
    'xp/rebuild_board.sql': """-- drop: drop function if exists xp.rebuild_board(text, text);
-- Rebuilds the rank snapshot of one board (season and mode): exact competition ranks on the
-- board's total order (xp desc, reached_at, user_id), bulk-written into a fresh unlogged
-- table (derived data, rebuilt every few seconds: no WAL) with a single index on that order,
-- (neg_xp, reached_at, user_id) with the rank alongside, which answers both "my rank" (the last
-- entry at or before my place) and "who is around me" (a walk each way). Then
-- xp.rank_generations flips to it in one row update: readers never wait on a rebuild and never
-- see half of one. The previous generation stays for readers still holding its name; older
-- ones are dropped when no reader holds them (a short lock timeout, else the next rebuild
-- retries). Returns the number of ranked rows.
create or replace function xp.rebuild_board(p_season text, p_mode text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_generation bigint := nextval('xp.rank_generation');
    v_table text := format('rank_%s_%s', p_mode, v_generation);
    v_rows bigint;
    v_old record;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    execute format(
        'create unlogged table xp.%I as
         select row_number() over (order by xp desc, reached_at, user_id) as rank,
                -xp as neg_xp, reached_at, user_id, xp
         from xp.season_scores where season_id = %L and mode = %L and xp > 0', v_table, p_season, p_mode);
    get diagnostics v_rows = row_count;
    execute format('create index on xp.%I (neg_xp, reached_at, user_id) include (rank, xp)', v_table);
    insert into xp.rank_tables (season_id, mode, generation, table_name) values (p_season, p_mode, v_generation, v_table);
    insert into xp.rank_generations as g (season_id, mode, generation, table_name, generated_at, rows)
    values (p_season, p_mode, v_generation, v_table, now(), v_rows)
    on conflict (season_id, mode) do update
        set generation = excluded.generation, table_name = excluded.table_name,
            generated_at = excluded.generated_at, rows = excluded.rows;

    perform set_config('lock_timeout', '20ms', true);
    for v_old in
        select t.table_name from xp.rank_tables t
        where t.season_id = p_season and t.mode = p_mode
          and t.generation < (select min(g2.generation) from (
                select generation from xp.rank_tables where season_id = p_season and mode = p_mode
                order by generation desc limit 2) g2)
    loop
        begin
            execute format('drop table if exists xp.%I', v_old.table_name);
            delete from xp.rank_tables where table_name = v_old.table_name;
        exception when lock_not_available then
            null;  -- a reader still holds it: the next rebuild drops it
        end;
    end loop;
    return v_rows;
end;
$$;
""",
    'xp/season_standing.sql': """-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank, generated_at} of a user in a season and mode; rank null without XP this season.
-- The rank comes from the board's latest snapshot (exact as of generated_at): one probe of its
-- index for the last entry at or before the user's place by their live score. That entry is
-- the user (rank as it stands) or, for a user whose XP moved since, the one just ahead (rank
-- one behind it). Never a count over the board. Before a board's first snapshot the rank is
-- counted live on the ranking index.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language plpgsql
stable
as $$
declare
    v_xp bigint;
    v_reached timestamptz;
    v_table text;
    v_generated_at timestamptz;
    v_rank bigint;
    v_ahead uuid;
begin
    select xp, reached_at into v_xp, v_reached from xp.season_scores
     where season_id = p_season and mode = p_mode and user_id = p_user_id;
    if coalesce(v_xp, 0) = 0 then
        return jsonb_build_object('xp', 0, 'rank', null);
    end if;
    select table_name, generated_at into v_table, v_generated_at from xp.rank_generations
     where season_id = p_season and mode = p_mode;
    if v_table is null then
        select 1 + count(*) into v_rank from xp.season_scores
         where season_id = p_season and mode = p_mode
           and (xp > v_xp or (xp = v_xp and (reached_at, user_id) < (v_reached, p_user_id)));
        return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', now());
    end if;
    execute format(
        'select rank, user_id from xp.%I where (neg_xp, reached_at, user_id) <= ($1, $2, $3)
         order by neg_xp desc, reached_at desc, user_id desc limit 1', v_table)
        into v_rank, v_ahead using -v_xp, v_reached, p_user_id;
    v_rank := case when v_rank is null then 1 when v_ahead = p_user_id then v_rank else v_rank + 1 end;
    return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at);
end;
$$;
""",
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS, REBUILD)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS, RETURN_TYPES)
    from src.migrations import run_sql

    run_sql(REBUILD)

"""Rank snapshots with one index on the board order, one board per transaction, around-me without joins in dynamic SQL

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 22:27:38 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

SCHEMA_UP = """
"""

SCHEMA_DOWN = """
"""

# Snapshot tables change shape (one index on the board order, neg_xp and reached_at kept):
# rebuild every board that has one, in the new shape; the old tables are dropped as the new
# generations replace them. Downgrading rebuilds them in the old shape the same way.
REBUILD = """
select xp.rebuild_board(season_id, mode) from xp.rank_generations order by season_id, mode;
"""
REBUILD_DOWN = """
select xp.rebuild_ranks(season_id) from (select distinct season_id from xp.rank_generations) s;
"""

FUNCTIONS: dict[str, str] = {
    'auth/user_json.sql': """-- drop: drop function if exists auth.user_json(app.users);
-- The private view of a user (GET /users/me and TokenPair.user).
create or replace function auth.user_json(u app.users)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'id', u.id,
        'username', u.username,
        'display_name', u.display_name,
        'email', u.email,
        'avatar_url', u.avatar_url,
        'bio', u.bio,
        'discord_id', u.discord_id,
        'roles', to_jsonb(u.roles),
        'created_at', u.created_at
    );
$$;
""",
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
    'seasons/season_json.sql': """-- drop: drop function if exists seasons.season_json(xp.seasons);
-- A season as the API shows it.
create or replace function seasons.season_json(s xp.seasons)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object('id', s.id, 'starts_at', s.starts_at, 'ends_at', s.ends_at, 'status', s.status,
                              'closed_at', s.closed_at);
$$;
""",
    'store/item_json.sql': """-- drop: drop function if exists store.item_json(store.items, boolean, boolean);
create or replace function store.item_json(i store.items, p_owned boolean, p_equipped boolean)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object('slug', i.slug, 'name', i.name, 'description', i.description, 'category', i.category,
        'price_coins', i.price_coins, 'data', i.data, 'featured', i.featured, 'owned', p_owned, 'equipped', p_equipped);
$$;
""",
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
    'xp/rebuild_ranks.sql': """-- drop: drop function if exists xp.rebuild_ranks(text);
-- Rebuilds both boards of a season (xp.rebuild_board), in the caller's transaction. The
-- worker rebuilds each board in a transaction of its own instead, so each is published as
-- soon as it is built. Returns the number of ranked rows.
create or replace function xp.rebuild_ranks(p_season text)
returns bigint
language plpgsql
volatile
as $$
begin
    return xp.rebuild_board(p_season, 'reality') + xp.rebuild_board(p_season, 'cyber');
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

PREVIOUS: dict[str, str | None] = {
    'auth/user_json.sql': """-- drop: drop function if exists auth.user_json(app.users);
-- The private view of a user (GET /users/me and TokenPair.user).
create or replace function auth.user_json(u app.users)
returns jsonb
language sql
immutable
as $$
    select jsonb_build_object(
        'id', u.id,
        'username', u.username,
        'display_name', u.display_name,
        'email', u.email,
        'avatar_url', u.avatar_url,
        'bio', u.bio,
        'discord_id', u.discord_id,
        'roles', to_jsonb(u.roles),
        'created_at', u.created_at
    );
$$;
""",
    'seasons/all_time.sql': """-- drop: drop function if exists seasons.all_time(text, integer);
-- The all-time board by total XP, live from xp.totals' ranking index, keyset-paginated like
-- seasons.leaderboard (ties: whoever reached that total first, then user id).
create or replace function seasons.all_time(p_cursor text, p_limit integer)
returns jsonb
language plpgsql
stable
as $$
declare
    v_limit integer := least(greatest(coalesce(p_limit, 20), 1), 100);
    v_rank bigint := 0;
    v_xp bigint := null;
    v_reached timestamptz;
    v_user uuid;
    v_entries jsonb := '[]'::jsonb;
    v_next text;
    r record;
begin
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode(p_cursor) c;
    end if;
    for r in
        select p.*, u.username, u.display_name, u.avatar_url from (
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
    loop
        if jsonb_array_length(v_entries) = v_limit then
            v_next := seasons.cursor_encode(v_rank, v_xp, v_reached, v_user);
            exit;
        end if;
        v_rank := v_rank + 1;
        v_xp := r.xp;
        v_reached := r.reached_at;
        v_user := r.user_id;
        v_entries := v_entries || jsonb_build_array(
            seasons.board_entry(v_rank, r.user_id, r.username, r.display_name, r.avatar_url, r.xp, r.level));
    end loop;
    return jsonb_build_object('board', 'all-time', 'generated_at', now(), 'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
    'seasons/around.sql': """-- drop: drop function if exists seasons.around(text, text, uuid, integer);
-- The caller's standing and the users around them (p_around above and below), from the rank
-- snapshot (exact as of generated_at; one index range). rank null and no entries without XP
-- this season.
create or replace function seasons.around(p_season text, p_mode text, p_user_id uuid, p_around integer)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_season xp.seasons := seasons.resolve(p_season);
    v_around integer := least(greatest(coalesce(p_around, 5), 0), 50);
    v_standing jsonb;
    v_rank bigint;
    v_table text;
    v_entries jsonb;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    v_standing := xp.season_standing(v_season.id, p_mode, p_user_id);
    v_rank := (v_standing->>'rank')::bigint;
    select table_name into v_table from xp.rank_generations where season_id = v_season.id and mode = p_mode;
    if v_rank is not null and v_table is not null then
        execute format(
            'select jsonb_agg(jsonb_build_object(
                        ''rank'', r.rank,
                        ''user'', jsonb_build_object(''id'', u.id, ''username'', u.username,
                                                   ''display_name'', u.display_name, ''avatar_url'', u.avatar_url),
                        ''xp'', r.xp,
                        ''level'', coalesce(case when $1 = ''reality'' then t.reality_level else t.cyber_level end, 1))
                    order by r.rank)
             from xp.%I r
             join app.users u on u.id = r.user_id
             left join xp.totals t on t.user_id = r.user_id
             where r.rank between $2 and $3', v_table)
            into v_entries using p_mode, v_rank - v_around, v_rank + v_around;
    end if;
    return v_standing || jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode,
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
immutable
as $$
    select jsonb_build_object(
        'rank', p_rank,
        'user', jsonb_build_object('id', p_user_id, 'username', p_username, 'display_name', p_display_name,
                                   'avatar_url', p_avatar_url),
        'xp', p_xp,
        'level', coalesce(p_level, 1));
$$;
""",
    'seasons/cursor_encode.sql': """-- drop: drop function if exists seasons.cursor_encode(bigint, bigint, timestamptz, uuid);
-- The position after a board entry, URL-safe as it is: `rank~xp~reached_at~user_id`.
create or replace function seasons.cursor_encode(p_rank bigint, p_xp bigint, p_reached_at timestamptz, p_user_id uuid)
returns text
language sql
immutable
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
returns jsonb
language plpgsql
volatile
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
    r record;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode(p_cursor) c;
    end if;
    for r in
        select p.user_id, p.xp, p.reached_at, u.username, u.display_name, u.avatar_url,
               case when p_mode = 'reality' then t.reality_level else t.cyber_level end as level
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
    loop
        if jsonb_array_length(v_entries) = v_limit then
            v_next := seasons.cursor_encode(v_rank, v_xp, v_reached, v_user);
            exit;
        end if;
        v_rank := v_rank + 1;
        v_xp := r.xp;
        v_reached := r.reached_at;
        v_user := r.user_id;
        v_entries := v_entries || jsonb_build_array(
            seasons.board_entry(v_rank, r.user_id, r.username, r.display_name, r.avatar_url, r.xp, r.level));
    end loop;
    return jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'generated_at', now(),
                              'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
    'seasons/season_json.sql': """-- drop: drop function if exists seasons.season_json(xp.seasons);
-- A season as the API shows it.
create or replace function seasons.season_json(s xp.seasons)
returns jsonb
language sql
immutable
as $$
    select jsonb_build_object('id', s.id, 'starts_at', s.starts_at, 'ends_at', s.ends_at, 'status', s.status,
                              'closed_at', s.closed_at);
$$;
""",
    'store/item_json.sql': """-- drop: drop function if exists store.item_json(store.items, boolean, boolean);
create or replace function store.item_json(i store.items, p_owned boolean, p_equipped boolean)
returns jsonb
language sql
immutable
as $$
    select jsonb_build_object('slug', i.slug, 'name', i.name, 'description', i.description, 'category', i.category,
        'price_coins', i.price_coins, 'data', i.data, 'featured', i.featured, 'owned', p_owned, 'equipped', p_equipped);
$$;
""",
    'xp/rebuild_board.sql': None,
    'xp/rebuild_ranks.sql': """-- drop: drop function if exists xp.rebuild_ranks(text);
-- Rebuilds the rank snapshots of one season, one table per board (mode): exact competition
-- ranks on the total order (xp desc, reached_at, user_id). Each board is bulk-written into a
-- fresh unlogged table (derived data, rebuilt every few seconds: no WAL), indexed once
-- afterwards and analyzed, then xp.rank_generations flips to it in one row update. Readers
-- therefore never wait on a rebuild and never see half of one. The previous generation stays
-- for readers still holding its name; older ones are dropped when no reader holds them (a
-- short lock timeout, else the next rebuild retries). Returns the number of ranked rows.
create or replace function xp.rebuild_ranks(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_generation bigint;
    v_table text;
    v_rows bigint;
    v_total bigint := 0;
    v_mode text;
    v_old record;
begin
    foreach v_mode in array array['reality', 'cyber'] loop
        v_generation := nextval('xp.rank_generation');
        v_table := format('rank_%s_%s', v_mode, v_generation);
        execute format(
            'create unlogged table xp.%I as
             select user_id, row_number() over (order by xp desc, reached_at, user_id) as rank, xp
             from xp.season_scores where season_id = %L and mode = %L and xp > 0', v_table, p_season, v_mode);
        get diagnostics v_rows = row_count;
        execute format('alter table xp.%I add primary key (user_id)', v_table);
        -- "the weakest entry still ahead of me": smallest xp above mine, last rank among its ties
        execute format('create index on xp.%I (xp, rank desc)', v_table);
        execute format('create unique index on xp.%I (rank)', v_table);
        execute format('analyze xp.%I', v_table);
        insert into xp.rank_tables (season_id, mode, generation, table_name) values (p_season, v_mode, v_generation, v_table);
        insert into xp.rank_generations as g (season_id, mode, generation, table_name, generated_at, rows)
        values (p_season, v_mode, v_generation, v_table, now(), v_rows)
        on conflict (season_id, mode) do update
            set generation = excluded.generation, table_name = excluded.table_name,
                generated_at = excluded.generated_at, rows = excluded.rows;
        v_total := v_total + v_rows;
    end loop;
    perform set_config('lock_timeout', '20ms', true);
    for v_old in
        select t.table_name from xp.rank_tables t
        where t.season_id = p_season
          and t.generation < (select min(g2.generation) from (
                select generation from xp.rank_tables where season_id = p_season and mode = t.mode
                order by generation desc limit 2) g2)
    loop
        begin
            execute format('drop table if exists xp.%I', v_old.table_name);
            delete from xp.rank_tables where table_name = v_old.table_name;
        exception when lock_not_available then
            null;  -- a reader still holds it: the next rebuild drops it
        end;
    end loop;
    return v_total;
end;
$$;
""",
    'xp/season_standing.sql': """-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank, generated_at} of a user in a season and mode; rank null without XP this season.
-- The rank comes from the board's latest snapshot table (exact as of generated_at). A user
-- whose XP moved since is placed just behind the snapshot's weakest entry still ahead of them:
-- one index probe, never a count over the board. Before a board's first snapshot the rank is
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
    v_snap_xp bigint;
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
    execute format('select rank, xp from xp.%I where user_id = $1', v_table) into v_rank, v_snap_xp using p_user_id;
    if v_snap_xp is distinct from v_xp then
        execute format('select rank from xp.%I where xp > $1 order by xp, rank desc limit 1', v_table)
            into v_rank using v_xp;
        v_rank := coalesce(v_rank, 0) + 1;
    end if;
    return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at);
end;
$$;
""",
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS, REBUILD)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)
    from src.migrations import run_sql

    run_sql(REBUILD_DOWN)

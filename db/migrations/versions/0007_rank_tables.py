"""rank snapshot per board

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 00:37:46 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

SCHEMA_UP = """
-- One snapshot table per board and generation (xp.rank_<mode>_<generation>), built in bulk by
-- xp.rebuild_ranks; the shared snapshot table with per-row generations is gone.
drop table xp.rank_snapshot;
drop table xp.rank_generations;
create unlogged table xp.rank_generations (
    season_id    text not null,
    mode         text not null check (mode in ('reality', 'cyber')),
    generation   bigint not null,
    table_name   text not null,
    generated_at timestamptz not null,
    rows         bigint not null,
    primary key (season_id, mode)
);
-- every snapshot table that exists, so old ones can be dropped
create unlogged table xp.rank_tables (
    table_name text primary key,
    season_id  text not null,
    mode       text not null,
    generation bigint not null
);
"""

SCHEMA_DOWN = """
do $do$
declare t text;
begin
    for t in select table_name from xp.rank_tables loop
        execute format('drop table if exists xp.%I', t);
    end loop;
end
$do$;
drop table xp.rank_tables;
drop table xp.rank_generations;
create unlogged table xp.rank_snapshot (
    generation bigint not null,
    season_id  text not null,
    mode       text not null,
    user_id    uuid not null,
    rank       bigint not null,
    xp         bigint not null,
    primary key (generation, season_id, mode, user_id)
);
create index rank_snapshot_by_xp on xp.rank_snapshot (generation, season_id, mode, xp, rank desc);
create index rank_snapshot_by_rank on xp.rank_snapshot (generation, season_id, mode, rank);
create unlogged table xp.rank_generations (
    season_id    text primary key,
    generation   bigint not null,
    generated_at timestamptz not null,
    rows         bigint not null
);
"""

FUNCTIONS: dict[str, str] = {
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
        begin
            v_rank := split_part(p_cursor, '~', 1)::bigint;
            v_xp := split_part(p_cursor, '~', 2)::bigint;
            v_reached := to_timestamp(split_part(p_cursor, '~', 3), 'YYYY-MM-DD"T"HH24:MI:SS.US') at time zone 'UTC';
            v_user := split_part(p_cursor, '~', 4)::uuid;
        exception when others then
            raise exception 'malformed cursor' using errcode = 'XP400';
        end;
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
            -- URL-safe: rank~xp~reached_at (UTC, microseconds)~user_id
            v_next := v_rank || '~' || v_xp || '~'
                      || to_char(v_reached at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '~' || v_user;
            exit;
        end if;
        v_rank := v_rank + 1;
        v_xp := r.xp;
        v_reached := r.reached_at;
        v_user := r.user_id;
        v_entries := v_entries || jsonb_build_array(jsonb_build_object(
            'rank', v_rank,
            'user', jsonb_build_object('id', r.user_id, 'username', r.username, 'display_name', r.display_name,
                                       'avatar_url', r.avatar_url),
            'xp', r.xp,
            'level', coalesce(r.level, 1)));
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
        begin
            v_rank := split_part(p_cursor, '~', 1)::bigint;
            v_xp := split_part(p_cursor, '~', 2)::bigint;
            v_reached := to_timestamp(split_part(p_cursor, '~', 3), 'YYYY-MM-DD"T"HH24:MI:SS.US') at time zone 'UTC';
            v_user := split_part(p_cursor, '~', 4)::uuid;
        exception when others then
            raise exception 'malformed cursor' using errcode = 'XP400';
        end;
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
            -- URL-safe: rank~xp~reached_at (UTC, microseconds)~user_id
            v_next := v_rank || '~' || v_xp || '~'
                      || to_char(v_reached at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '~' || v_user;
            exit;
        end if;
        v_rank := v_rank + 1;
        v_xp := r.xp;
        v_reached := r.reached_at;
        v_user := r.user_id;
        v_entries := v_entries || jsonb_build_array(jsonb_build_object(
            'rank', v_rank,
            'user', jsonb_build_object('id', r.user_id, 'username', r.username, 'display_name', r.display_name,
                                       'avatar_url', r.avatar_url),
            'xp', r.xp,
            'level', coalesce(r.level, 1)));
    end loop;
    return jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'generated_at', now(),
                              'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
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

PREVIOUS: dict[str, str | None] = {
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
        begin
            v_rank := split_part(p_cursor, '~', 1)::bigint;
            v_xp := split_part(p_cursor, '~', 2)::bigint;
            v_reached := to_timestamp(split_part(p_cursor, '~', 3), 'YYYY-MM-DD"T"HH24:MI:SS.US') at time zone 'UTC';
            v_user := split_part(p_cursor, '~', 4)::uuid;
        exception when others then
            raise exception 'malformed cursor' using errcode = 'XP400';
        end;
    end if;
    for r in
        select p.* from (
            (select t.user_id, t.total_xp as xp, t.reached_at, t.level from xp.totals t
             where v_xp is not null and t.total_xp = v_xp and (t.reached_at, t.user_id) > (v_reached, v_user)
             order by t.reached_at, t.user_id limit v_limit + 1)
            union all
            (select t.user_id, t.total_xp, t.reached_at, t.level from xp.totals t
             where t.total_xp > 0 and (v_xp is null or t.total_xp < v_xp)
             order by t.total_xp desc, t.reached_at, t.user_id limit v_limit + 1)
        ) p
        order by p.xp desc, p.reached_at, p.user_id
        limit v_limit + 1
    loop
        if jsonb_array_length(v_entries) = v_limit then
            -- URL-safe: rank~xp~reached_at (UTC, microseconds)~user_id
            v_next := v_rank || '~' || v_xp || '~'
                      || to_char(v_reached at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '~' || v_user;
            exit;
        end if;
        v_rank := v_rank + 1;
        v_xp := r.xp;
        v_reached := r.reached_at;
        v_user := r.user_id;
        v_entries := v_entries || jsonb_build_array(seasons.entry_json(v_rank, r.user_id, r.xp, r.level));
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
    v_generation bigint;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    v_standing := xp.season_standing(v_season.id, p_mode, p_user_id);
    v_rank := (v_standing->>'rank')::bigint;
    select generation into v_generation from xp.rank_generations where season_id = v_season.id;
    return v_standing || jsonb_build_object(
        'season', seasons.season_json(v_season),
        'mode', p_mode,
        'entries', case when v_rank is null or v_generation is null then '[]'::jsonb else coalesce((
            select jsonb_agg(seasons.entry_json(r.rank, r.user_id, r.xp,
                             case when p_mode = 'reality' then t.reality_level else t.cyber_level end) order by r.rank)
            from xp.rank_snapshot r left join xp.totals t on t.user_id = r.user_id
            where r.generation = v_generation and r.season_id = v_season.id and r.mode = p_mode
              and r.rank between v_rank - v_around and v_rank + v_around), '[]'::jsonb) end);
end;
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
        begin
            v_rank := split_part(p_cursor, '~', 1)::bigint;
            v_xp := split_part(p_cursor, '~', 2)::bigint;
            v_reached := to_timestamp(split_part(p_cursor, '~', 3), 'YYYY-MM-DD"T"HH24:MI:SS.US') at time zone 'UTC';
            v_user := split_part(p_cursor, '~', 4)::uuid;
        exception when others then
            raise exception 'malformed cursor' using errcode = 'XP400';
        end;
    end if;
    for r in
        select p.user_id, p.xp, p.reached_at,
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
        left join xp.totals t on t.user_id = p.user_id
        order by p.xp desc, p.reached_at, p.user_id
        limit v_limit + 1
    loop
        if jsonb_array_length(v_entries) = v_limit then
            -- URL-safe: rank~xp~reached_at (UTC, microseconds)~user_id
            v_next := v_rank || '~' || v_xp || '~'
                      || to_char(v_reached at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '~' || v_user;
            exit;
        end if;
        v_rank := v_rank + 1;
        v_xp := r.xp;
        v_reached := r.reached_at;
        v_user := r.user_id;
        v_entries := v_entries || jsonb_build_array(seasons.entry_json(v_rank, r.user_id, r.xp, r.level));
    end loop;
    return jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'generated_at', now(),
                              'entries', v_entries, 'next_cursor', v_next);
end;
$$;
""",
    'xp/rebuild_ranks.sql': """-- drop: drop function if exists xp.rebuild_ranks(text);
-- Rebuilds the rank snapshot of one season (both modes) from xp.season_scores: exact
-- competition ranks on the total order (xp desc, reached_at, user_id). The new rows are
-- written beside the old ones under a new generation number, then the pointer flips in one
-- short update, so readers never wait on a rebuild and never see half of one; old generations
-- are deleted afterwards. Returns the number of ranked rows.
create or replace function xp.rebuild_ranks(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_generation bigint := nextval('xp.rank_generation');
    v_rows bigint;
begin
    insert into xp.rank_snapshot (generation, season_id, mode, user_id, rank, xp)
    select v_generation, season_id, mode, user_id,
           row_number() over (partition by mode order by xp desc, reached_at, user_id), xp
    from xp.season_scores
    where season_id = p_season and xp > 0;
    get diagnostics v_rows = row_count;
    insert into xp.rank_generations as g (season_id, generation, generated_at, rows)
    values (p_season, v_generation, now(), v_rows)
    on conflict (season_id) do update set generation = excluded.generation, generated_at = excluded.generated_at,
                                          rows = excluded.rows;
    delete from xp.rank_snapshot where season_id = p_season and generation < v_generation;
    -- fresh statistics, or the planner may probe the snapshot by the wrong index
    analyze xp.rank_snapshot;
    return v_rows;
end;
$$;
""",
    'xp/season_standing.sql': """-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank, generated_at} of a user in a season and mode; rank null without XP this season.
-- The rank comes from the latest snapshot (exact as of generated_at). A user whose XP moved
-- since is placed just behind the snapshot's weakest entry still ahead of them: one index
-- probe, never a count over the board. Before a season's first snapshot the rank is counted
-- live on the ranking index. Each step is its own statement so it is planned with its values.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language plpgsql
stable
as $$
declare
    v_xp bigint;
    v_reached timestamptz;
    v_generation bigint;
    v_generated_at timestamptz;
    v_rank bigint;
    v_snap_xp bigint;
begin
    select xp, reached_at into v_xp, v_reached from xp.season_scores
     where season_id = p_season and mode = p_mode and user_id = p_user_id;
    if coalesce(v_xp, 0) = 0 then
        return jsonb_build_object('xp', 0, 'rank', null);
    end if;
    select generation, generated_at into v_generation, v_generated_at from xp.rank_generations
     where season_id = p_season;
    if v_generation is null then
        select 1 + count(*) into v_rank from xp.season_scores
         where season_id = p_season and mode = p_mode
           and (xp > v_xp or (xp = v_xp and (reached_at, user_id) < (v_reached, p_user_id)));
        return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', now());
    end if;
    select rank, xp into v_rank, v_snap_xp from xp.rank_snapshot
     where generation = v_generation and season_id = p_season and mode = p_mode and user_id = p_user_id;
    if v_snap_xp is distinct from v_xp then
        select rank into v_rank from xp.rank_snapshot
         where generation = v_generation and season_id = p_season and mode = p_mode and xp > v_xp
         order by xp, rank desc limit 1;
        v_rank := coalesce(v_rank, 0) + 1;
    end if;
    return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at);
end;
$$;
""",
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

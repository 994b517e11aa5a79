"""seasons, leaderboards, analytics

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 00:28:28 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SCHEMA_UP = """
create schema seasons;
comment on schema seasons is 'xpcore seasons and leaderboards: the read side of xp.season_scores and xp.totals';
create schema analytics;
comment on schema analytics is 'Stable read-only views for BI tools; the role xpcore_bi reads these and nothing else';

-- Final standings, frozen when a season closes (seasons.close).
create table seasons.final_standings (
    season_id text not null references xp.seasons (id),
    mode      text not null check (mode in ('reality', 'cyber')),
    user_id   uuid not null references app.users (id),
    rank      bigint not null,
    xp        bigint not null,
    primary key (season_id, mode, user_id)
);
create index final_standings_rank on seasons.final_standings (season_id, mode, rank);

-- around-me reads a rank range of the snapshot
create index rank_snapshot_by_rank on xp.rank_snapshot (generation, season_id, mode, rank);

-- Roles are cluster-wide: create the BI group role once, grant per database.
do $do$
begin
    if not exists (select from pg_roles where rolname = 'xpcore_bi') then
        create role xpcore_bi nologin;
    end if;
end
$do$;
alter default privileges in schema analytics grant select on tables to xpcore_bi;
"""

SCHEMA_DOWN = """
revoke all on all tables in schema analytics from xpcore_bi;
revoke usage on schema analytics from xpcore_bi;
alter default privileges in schema analytics revoke select on tables from xpcore_bi;
drop index xp.rank_snapshot_by_rank;
drop table seasons.final_standings;
drop schema analytics;
drop schema seasons;
"""

# after the views exist
DATA_UP = """
grant usage on schema analytics to xpcore_bi;
grant select on all tables in schema analytics to xpcore_bi;
"""

FUNCTIONS: dict[str, str] = {
    'analytics/all_time_leaderboard.sql': """-- drop: drop view if exists analytics.all_time_leaderboard;
-- The all-time board by total XP.
create or replace view analytics.all_time_leaderboard as
select rank() over (order by t.total_xp desc, t.reached_at, t.user_id) as rank,
       t.user_id,
       u.username,
       u.display_name,
       t.total_xp,
       t.level,
       t.reality_xp,
       t.cyber_xp
from xp.totals t
join app.users u on u.id = t.user_id
where t.total_xp > 0;
comment on view analytics.all_time_leaderboard is 'All-time board by total XP with exact ranks.';
""",
    'analytics/daily_xp.sql': """-- drop: drop view if exists analytics.daily_xp;
-- XP per UTC day, activity, mode and source.
create or replace view analytics.daily_xp as
select (l.occurred_at at time zone 'UTC')::date as day,
       l.activity_key as activity,
       l.mode,
       l.source,
       count(*) as events,
       count(distinct l.user_id) as users,
       sum(l.xp) as xp,
       sum(l.units) as units
from xp.ledger l
group by 1, 2, 3, 4;
comment on view analytics.daily_xp is 'XP events per UTC day, activity, mode and source (adjustments included as source adjustment).';
""",
    'analytics/layer_distribution.sql': """-- drop: drop view if exists analytics.layer_distribution;
-- How many users stand in each layer of each mode.
create or replace view analytics.layer_distribution as
select 'reality'::text as mode, t.reality_layer as layer, count(*) as users from xp.totals t group by t.reality_layer
union all
select 'cyber'::text, t.cyber_layer, count(*) from xp.totals t group by t.cyber_layer;
comment on view analytics.layer_distribution is 'Users per layer and mode.';
""",
    'analytics/level_distribution.sql': """-- drop: drop view if exists analytics.level_distribution;
-- How many users stand at each overall level.
create or replace view analytics.level_distribution as
select t.level, count(*) as users
from xp.totals t
group by t.level;
comment on view analytics.level_distribution is 'Users per overall level (users who ever received XP).';
""",
    'analytics/season_leaderboard.sql': """-- drop: drop view if exists analytics.season_leaderboard;
-- Every season's boards with exact ranks (xp desc, then who reached it first, then user id).
create or replace view analytics.season_leaderboard as
select s.season_id,
       s.mode,
       rank() over (partition by s.season_id, s.mode order by s.xp desc, s.reached_at, s.user_id) as rank,
       s.user_id,
       u.username,
       u.display_name,
       s.xp,
       s.reached_at
from xp.season_scores s
join app.users u on u.id = s.user_id
where s.xp > 0;
comment on view analytics.season_leaderboard is 'Season boards per mode with exact ranks; one row per (season, mode, user with XP).';
""",
    'analytics/user_growth.sql': """-- drop: drop view if exists analytics.user_growth;
-- New and cumulative users per UTC day (deleted accounts keep counting: they were users).
create or replace view analytics.user_growth as
select day, new_users, sum(new_users) over (order by day) as total_users
from (
    select (created_at at time zone 'UTC')::date as day, count(*) as new_users
    from app.users group by 1
) d;
comment on view analytics.user_growth is 'Sign-ups per UTC day and the running total.';
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
    'seasons/close.sql': """-- drop: drop function if exists seasons.close(text);
-- Closes an ended season: freezes each board's final standings (exact ranks), writes every
-- participant's final-standing notification to the outbox, and marks the season closed so no
-- more XP counts toward it. Safe to run twice: the season row lock serialises closers, standings
-- and notifications are keyed, and a closed season answers its frozen count.
create or replace function seasons.close(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_season xp.seasons;
    v_rows bigint;
begin
    select * into v_season from xp.seasons where id = p_season for update;
    if not found then
        raise exception 'no season %', p_season using errcode = 'XP404';
    end if;
    if now() < v_season.ends_at then
        raise exception 'season % runs until %', p_season, v_season.ends_at using errcode = 'XP409';
    end if;
    if v_season.status <> 'closed' then
        insert into seasons.final_standings (season_id, mode, user_id, rank, xp)
        select season_id, mode, user_id,
               rank() over (partition by mode order by xp desc, reached_at, user_id), xp
        from xp.season_scores
        where season_id = p_season and xp > 0
        on conflict do nothing;

        insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
        select f.user_id, 'season_final_standing',
               format('Season %s: #%s in %s', f.season_id, f.rank, f.mode),
               format('You finished season %s at rank %s of the %s board with %s XP.', f.season_id, f.rank, f.mode, f.xp),
               jsonb_build_object('season_id', f.season_id, 'mode', f.mode, 'rank', f.rank, 'xp', f.xp),
               format('season:%s:%s', f.season_id, f.mode)
        from seasons.final_standings f
        join app.users u on u.id = f.user_id and u.deleted_at is null
        where f.season_id = p_season
        on conflict (user_id, kind, dedupe_key) where dedupe_key is not null do nothing;
        perform pg_notify('xpcore_outbox', 'season:' || p_season);

        update xp.seasons set status = 'closed', closed_at = now() where id = p_season;
    end if;
    select count(*) into v_rows from seasons.final_standings where season_id = p_season;
    return v_rows;
end;
$$;
""",
    'seasons/entry_json.sql': """-- drop: drop function if exists seasons.entry_json(bigint, uuid, bigint, integer);
-- One leaderboard line: rank, the user's public face, XP and level.
create or replace function seasons.entry_json(p_rank bigint, p_user_id uuid, p_xp bigint, p_level integer)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'rank', p_rank,
        'user', jsonb_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name,
                                   'avatar_url', u.avatar_url),
        'xp', p_xp,
        'level', coalesce(p_level, 1))
    from app.users u where u.id = p_user_id;
$$;
""",
    'seasons/final_standings.sql': """-- drop: drop function if exists seasons.final_standing(text, text, uuid);
-- A user's frozen result in a closed season: {rank, xp} or null.
create or replace function seasons.final_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object('rank', rank, 'xp', xp) from seasons.final_standings
    where season_id = p_season and mode = p_mode and user_id = p_user_id;
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
    'seasons/list.sql': """-- drop: drop function if exists seasons.list();
-- Every season, newest first (the current one is created on demand).
create or replace function seasons.list()
returns jsonb
language plpgsql
volatile
as $$
begin
    perform xp.season_for(now());
    return (select coalesce(jsonb_agg(seasons.season_json(s) order by s.id desc), '[]') from xp.seasons s);
end;
$$;
""",
    'seasons/resolve.sql': """-- drop: drop function if exists seasons.resolve(text);
-- 'current' or a season id ('2026-11') to its row; XP404 for an unknown season.
create or replace function seasons.resolve(p_id text)
returns xp.seasons
language plpgsql
volatile
as $$
declare
    v xp.seasons;
begin
    if p_id = 'current' then
        return xp.season_for(now());
    end if;
    select * into v from xp.seasons where id = p_id;
    if not found then
        raise exception 'no season %', p_id using errcode = 'XP404';
    end if;
    return v;
end;
$$;
""",
    'seasons/roll.sql': """-- drop: drop function if exists seasons.roll();
-- The seasons cron: make sure this month and next exist, move statuses with the clock, and
-- close every ended season that is not closed yet. Returns how many seasons it closed.
create or replace function seasons.roll()
returns integer
language plpgsql
volatile
as $$
declare
    v_id text;
    v_closed integer := 0;
begin
    perform xp.season_for(now());
    perform xp.season_for(now() + interval '1 month');
    update xp.seasons set status = 'active' where status = 'upcoming' and starts_at <= now() and now() < ends_at;
    for v_id in select id from xp.seasons where status <> 'closed' and ends_at <= now() order by id loop
        perform seasons.close(v_id);
        v_closed := v_closed + 1;
    end loop;
    return v_closed;
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
}

PREVIOUS: dict[str, str | None] = {
    'analytics/all_time_leaderboard.sql': None,
    'analytics/daily_xp.sql': None,
    'analytics/layer_distribution.sql': None,
    'analytics/level_distribution.sql': None,
    'analytics/season_leaderboard.sql': None,
    'analytics/user_growth.sql': None,
    'seasons/all_time.sql': None,
    'seasons/around.sql': None,
    'seasons/close.sql': None,
    'seasons/entry_json.sql': None,
    'seasons/final_standings.sql': None,
    'seasons/leaderboard.sql': None,
    'seasons/list.sql': None,
    'seasons/resolve.sql': None,
    'seasons/roll.sql': None,
    'seasons/season_json.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS, DATA_UP)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

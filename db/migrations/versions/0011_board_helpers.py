"""board cursor helpers

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 01:05:57 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SCHEMA_UP = """
-- board lines are built by seasons.board_entry now
drop function seasons.entry_json(bigint, uuid, bigint, integer);
"""

SCHEMA_DOWN = """
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
    'seasons/board_entry.sql': None,
    'seasons/cursor_decode.sql': None,
    'seasons/cursor_encode.sql': None,
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
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

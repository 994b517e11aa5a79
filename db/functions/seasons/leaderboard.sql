-- drop: drop function if exists seasons.leaderboard(text, text, text, integer);
-- A page of a season board, live from the ranking index: exact competition ranks on the total
-- order (xp desc, reached_at, user_id). Keyset-paginated: the cursor is the last entry's
-- (rank, xp, reached_at, user_id), signed for this season and mode, and the next page is read as two index ranges (the rest of
-- that XP tie, then lower XP), so page n costs what page 1 costs.
create or replace function seasons.leaderboard(p_season text, p_mode text, p_cursor text, p_limit integer)
returns json
language plpgsql
stable
-- The page statement's custom plans (limit folded in) looked cheaper than its generic plan, so
-- every call re-planned a three-way join; the generic plan (nested loops) serves every page.
set plan_cache_mode = force_generic_plan
security definer set search_path = pg_catalog, pg_temp
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
        raise exception 'no % board: mode must be reality or cyber', p_mode
            using errcode = 'XP404', detail = 'seasons.unknown_board';
    end if;
    v_board := 'season:' || v_season.id || ':' || p_mode;  -- what its cursors are signed for
    if p_cursor is not null then
        select c.rank, c.xp, c.reached_at, c.user_id into v_rank, v_xp, v_reached, v_user
        from seasons.cursor_decode(v_board, p_cursor) c;
    end if;
    -- One statement builds the page (json_agg, not an array grown row by row).
    -- Its orders mirror seasons.board_ranks, read off season_scores_rank (tests/sql/test_board_order.py).
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

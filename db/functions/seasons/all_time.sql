-- drop: drop function if exists seasons.all_time(text, integer);
-- The all-time board by total XP, live from xp.totals' ranking index, keyset-paginated like
-- seasons.leaderboard (ties: whoever reached that total first, then user id).
create or replace function seasons.all_time(p_cursor text, p_limit integer)
returns json
language plpgsql
stable
-- One generic plan for the page statement (see seasons.leaderboard).
set plan_cache_mode = force_generic_plan
security definer set search_path = pg_catalog, pg_temp
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
    -- Its orders mirror seasons.board_ranks, read off totals_rank (tests/sql/test_board_order.py).
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

-- drop: drop function if exists seasons.all_time(text, integer);
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

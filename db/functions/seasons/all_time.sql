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

-- drop: drop function if exists seasons.leaderboard(text, text, text, integer);
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

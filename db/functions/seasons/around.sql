-- drop: drop function if exists seasons.around(text, text, uuid, integer);
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

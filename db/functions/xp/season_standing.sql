-- drop: drop function if exists xp.season_standing(text, text, uuid);
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

-- drop: drop function if exists seasons.around(text, text, uuid, integer);
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

-- drop: drop function if exists xp.rebuild_ranks(text);
-- Rebuilds the rank snapshot of one season (both modes) from xp.season_scores: exact
-- competition ranks on the total order (xp desc, reached_at, user_id). The new rows are
-- written beside the old ones under a new generation number, then the pointer flips in one
-- short update, so readers never wait on a rebuild and never see half of one; old generations
-- are deleted afterwards. Returns the number of ranked rows.
create or replace function xp.rebuild_ranks(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_generation bigint := nextval('xp.rank_generation');
    v_rows bigint;
begin
    insert into xp.rank_snapshot (generation, season_id, mode, user_id, rank, xp)
    select v_generation, season_id, mode, user_id,
           row_number() over (partition by mode order by xp desc, reached_at, user_id), xp
    from xp.season_scores
    where season_id = p_season and xp > 0;
    get diagnostics v_rows = row_count;
    insert into xp.rank_generations as g (season_id, generation, generated_at, rows)
    values (p_season, v_generation, now(), v_rows)
    on conflict (season_id) do update set generation = excluded.generation, generated_at = excluded.generated_at,
                                          rows = excluded.rows;
    delete from xp.rank_snapshot where season_id = p_season and generation < v_generation;
    -- fresh statistics, or the planner may probe the snapshot by the wrong index
    analyze xp.rank_snapshot;
    return v_rows;
end;
$$;

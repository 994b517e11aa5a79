-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank, generated_at} of a user in a season and mode; rank null without XP this season.
-- The rank comes from the latest snapshot (exact as of generated_at). A user whose XP moved
-- since is placed just behind the snapshot's weakest entry that is still ahead of them: one
-- index probe, never a count over the board. Before a season's first snapshot the rank is
-- counted live on the ranking index.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language sql
stable
as $$
    with me as (
        select xp from xp.season_scores where season_id = p_season and mode = p_mode and user_id = p_user_id
    ), gen as (
        select generation, generated_at from xp.rank_generations where season_id = p_season
    ), snap as (
        select r.rank, r.xp from xp.rank_snapshot r, gen
        where r.generation = gen.generation and r.season_id = p_season and r.mode = p_mode and r.user_id = p_user_id
    )
    select jsonb_build_object(
        'xp', coalesce((select xp from me), 0),
        'rank', case
            when coalesce((select xp from me), 0) = 0 then null
            when (select generation from gen) is null then 1
                + (select count(*) from xp.season_scores o
                   where o.season_id = p_season and o.mode = p_mode and o.xp > (select xp from me))
                + (select count(*) from xp.season_scores o, xp.season_scores s
                   where s.season_id = p_season and s.mode = p_mode and s.user_id = p_user_id
                     and o.season_id = p_season and o.mode = p_mode and o.xp = s.xp
                     and (o.reached_at, o.user_id) < (s.reached_at, s.user_id))
            when (select xp from snap) = (select xp from me) then (select rank from snap)
            else 1 + coalesce((
                select r.rank from xp.rank_snapshot r, gen
                where r.generation = gen.generation and r.season_id = p_season and r.mode = p_mode
                  and r.xp > (select xp from me)
                order by r.xp, r.rank desc limit 1), 0)
            end,
        'generated_at', (select generated_at from gen));
$$;

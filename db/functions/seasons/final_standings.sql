-- drop: drop function if exists seasons.final_standing(text, text, uuid);
-- A user's frozen result in a closed season: {rank, xp} or null.
create or replace function seasons.final_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object('rank', rank, 'xp', xp) from seasons.final_standings
    where season_id = p_season and mode = p_mode and user_id = p_user_id;
$$;

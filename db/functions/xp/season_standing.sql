-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank} of a user in a season and mode; rank is null without XP this season. Exact rank
-- on the total order (xp desc, reached_at, user_id): two range counts on the ranking index.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language sql
stable
as $$
    select coalesce(
        (select jsonb_build_object('xp', s.xp, 'rank', case when s.xp > 0 then 1
                + (select count(*) from xp.season_scores o
                   where o.season_id = s.season_id and o.mode = s.mode and o.xp > s.xp)
                + (select count(*) from xp.season_scores o
                   where o.season_id = s.season_id and o.mode = s.mode and o.xp = s.xp
                     and (o.reached_at, o.user_id) < (s.reached_at, s.user_id)) end)
         from xp.season_scores s
         where s.season_id = p_season and s.mode = p_mode and s.user_id = p_user_id),
        jsonb_build_object('xp', 0, 'rank', null));
$$;

-- drop: drop view if exists analytics.season_leaderboard;
-- Every season's boards with exact ranks (xp desc, then who reached it first, then user id).
-- The order mirrors seasons.board_ranks, applied after this file (tests/sql/test_board_order.py).
create or replace view analytics.season_leaderboard as
select s.season_id,
       s.mode,
       rank() over (partition by s.season_id, s.mode order by s.xp desc, s.reached_at, s.user_id) as rank,
       s.user_id,
       u.username,
       u.display_name,
       s.xp,
       s.reached_at
from xp.season_scores s
join app.users u on u.id = s.user_id
where s.xp > 0;
comment on view analytics.season_leaderboard is 'Season boards per mode with exact ranks; one row per (season, mode, user with XP).';

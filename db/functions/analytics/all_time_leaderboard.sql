-- drop: drop view if exists analytics.all_time_leaderboard;
-- The all-time board by total XP.
-- The order mirrors seasons.board_ranks, applied after this file (tests/sql/test_board_order.py).
create or replace view analytics.all_time_leaderboard as
select rank() over (order by t.total_xp desc, t.reached_at, t.user_id) as rank,
       t.user_id,
       u.username,
       u.display_name,
       t.total_xp,
       t.level,
       t.reality_xp,
       t.cyber_xp
from xp.totals t
join app.users u on u.id = t.user_id
where t.total_xp > 0;
comment on view analytics.all_time_leaderboard is 'All-time board by total XP with exact ranks.';

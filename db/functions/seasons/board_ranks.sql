-- drop: drop view if exists seasons.board_ranks;
-- The board order, written once: a board ranks its lines by XP (most first), then whoever
-- reached that XP first, then user id, a total order (so rank() never ties). A season's board
-- per mode is xp.season_scores (season_id, mode); the all-time board, season_id and mode null,
-- is xp.totals. Filtered on season_id (and mode), the window reads that board's ranking index
-- in order, without a sort. Season closes (seasons.close) rank through it. The hot paths bound
-- to an index order a window cannot serve (keyset pages, snapshot walks, a live count), the
-- rank snapshot (whose parallel join and sort beat the view) and the analytics views (applied
-- before this file) mirror it and say so; tests/sql/test_board_order.py checks they agree.
create or replace view seasons.board_ranks as
select b.season_id, b.mode, b.user_id, b.xp, b.reached_at,
       rank() over (partition by b.season_id, b.mode order by b.xp desc, b.reached_at, b.user_id) as rank
from (select s.season_id, s.mode, s.user_id, s.xp, s.reached_at from xp.season_scores s
      union all
      select null, null, t.user_id, t.total_xp, t.reached_at from xp.totals t) b
where b.xp > 0;
comment on view seasons.board_ranks is 'Every board''s lines with exact ranks, in the one board order (xp desc, reached_at, user_id).';

-- drop: drop function if exists xp.rank_walk(integer, bigint, timestamptz, uuid, integer, integer);
-- Reads a board snapshot in slot p_slot (1..4: xp.rebuild_board; 5..8, logged copies a standby
-- can read: xp.publish_replica_board) around a place on the board order
-- (neg_xp, reached_at, user_id): up to p_ahead lines at or ahead of it and up to p_behind lines
-- after it (p_user_id's own line skipped), each an index walk from the place. `ahead` tells
-- which side a line is on; ranks order them.
-- The walk's orders mirror seasons.board_ranks on the slot's index (tests/sql/test_board_order.py).
-- One static statement per slot, not dynamic SQL: each keeps a cached plan, and a call locks
-- only the slot it reads, so a rebuild may rewrite another slot meanwhile.
create or replace function xp.rank_walk(
    p_slot integer, p_neg_xp bigint, p_reached timestamptz, p_user_id uuid, p_ahead integer, p_behind integer
)
returns table (ahead boolean, rank bigint, user_id uuid, xp bigint, username text, display_name text,
               avatar_url text, level integer)
language plpgsql
volatile
-- A generic plan costs a LIMIT parameter as a tenth of the table, so plan_cache_mode auto kept
-- choosing custom plans: the walk was planned on every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    case p_slot
    when 1 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_1 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_1 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 2 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_2 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_2 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 3 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_3 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_3 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 4 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_4 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_4 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 5 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_5 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_5 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 6 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_6 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_6 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 7 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_7 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_7 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    when 8 then
        return query
            (select true, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_8 s
              where (s.neg_xp, s.reached_at, s.user_id) <= (p_neg_xp, p_reached, p_user_id)
              order by s.neg_xp desc, s.reached_at desc, s.user_id desc limit p_ahead)
            union all
            (select false, s.rank, s.user_id, s.xp, s.username, s.display_name, s.avatar_url, s.level
               from xp.rank_slot_8 s
              where (s.neg_xp, s.reached_at, s.user_id) > (p_neg_xp, p_reached, p_user_id) and s.user_id <> p_user_id
              order by s.neg_xp, s.reached_at, s.user_id limit p_behind);
    end case;
end;
$$;

-- drop: drop function if exists xp.level_for(bigint);
-- The level an amount of XP reaches on the curve (1 at 0 XP). O(log n) on the curve index.
-- plpgsql, not sql: a SQL function with a subquery is never inlined, and before PostgreSQL 18
-- it is planned afresh on every call; plpgsql keeps its plan for the session.
create or replace function xp.level_for(p_xp bigint)
returns integer
language plpgsql
stable
parallel safe
as $$
declare
    v_level integer;
begin
    select level into v_level from xp.level_curve
     where xp_required <= greatest(p_xp, 0) order by xp_required desc limit 1;
    return coalesce(v_level, 1);
end;
$$;

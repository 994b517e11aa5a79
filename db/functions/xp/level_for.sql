-- drop: drop function if exists xp.level_for(bigint);
-- The level an amount of XP reaches on the curve (1 at 0 XP). O(log n) on the curve index.
create or replace function xp.level_for(p_xp bigint)
returns integer
language sql
stable
parallel safe
as $$
    select coalesce(
        (select level from xp.level_curve where xp_required <= greatest(p_xp, 0) order by xp_required desc limit 1),
        1
    );
$$;

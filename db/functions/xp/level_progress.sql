-- drop: drop function if exists xp.level_progress(bigint);
-- Where an amount of XP stands within its level: {level, level_xp, next_level_xp, xp_into_level,
-- xp_to_next}; next_level_xp and xp_to_next are null at the top of the curve.
create or replace function xp.level_progress(p_xp bigint)
returns jsonb
language sql
stable
as $$
    with here as (
        select level, xp_required from xp.level_curve
        where xp_required <= greatest(p_xp, 0) order by xp_required desc limit 1
    ), next as (
        select xp_required from xp.level_curve
        where xp_required > greatest(p_xp, 0) order by xp_required limit 1
    )
    select jsonb_build_object(
        'level', coalesce((select level from here), 1),
        'level_xp', coalesce((select xp_required from here), 0),
        'next_level_xp', (select xp_required from next),
        'xp_into_level', greatest(p_xp, 0) - coalesce((select xp_required from here), 0),
        'xp_to_next', (select xp_required from next) - greatest(p_xp, 0)
    );
$$;

-- drop: drop function if exists xp.level_progress(bigint);
-- Where an amount of XP stands within its level: {level, level_xp, next_level_xp, xp_into_level,
-- xp_to_next}; next_level_xp and xp_to_next are null at the top of the curve. plpgsql for its
-- cached plans (see xp.level_for).
create or replace function xp.level_progress(p_xp bigint)
returns jsonb
language plpgsql
stable
as $$
declare
    v_xp bigint := greatest(p_xp, 0);
    v_level integer;
    v_level_xp bigint;
    v_next bigint;
begin
    select level, xp_required into v_level, v_level_xp from xp.level_curve
     where xp_required <= v_xp order by xp_required desc limit 1;
    select xp_required into v_next from xp.level_curve where xp_required > v_xp order by xp_required limit 1;
    return jsonb_build_object(
        'level', coalesce(v_level, 1),
        'level_xp', coalesce(v_level_xp, 0),
        'next_level_xp', v_next,
        'xp_into_level', v_xp - coalesce(v_level_xp, 0),
        'xp_to_next', v_next - v_xp);
end;
$$;

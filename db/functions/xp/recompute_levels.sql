-- drop: drop function if exists xp.recompute_levels();
-- After the curve or the layer table changed: every user's levels and layers, set-based
-- (one statement), so nothing loops per user. Returns how many users changed.
create or replace function xp.recompute_levels()
returns bigint
language plpgsql
volatile
as $$
declare
    v_changed bigint;
begin
    with fresh as (
        select user_id,
               xp.level_for(total_xp) as level,
               xp.level_for(reality_xp) as reality_level,
               xp.level_for(cyber_xp) as cyber_level
        from xp.totals
    )
    update xp.totals t set
        level = f.level,
        reality_level = f.reality_level,
        cyber_level = f.cyber_level,
        reality_layer = xp.layer_for('reality', f.reality_level),
        cyber_layer = xp.layer_for('cyber', f.cyber_level)
    from fresh f
    where t.user_id = f.user_id
      and (t.level, t.reality_level, t.cyber_level, t.reality_layer, t.cyber_layer)
          is distinct from (f.level, f.reality_level, f.cyber_level,
                            xp.layer_for('reality', f.reality_level), xp.layer_for('cyber', f.cyber_level));
    get diagnostics v_changed = row_count;
    return v_changed;
end;
$$;

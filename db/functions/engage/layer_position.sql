-- drop: drop function if exists engage.layer_position(text, integer);
-- The position of the layer a mode's level stands in (0 = the first layer): what a `layer`
-- achievement's tiers count to (threshold 1 = the mode's second layer).
create or replace function engage.layer_position(p_mode text, p_level integer)
returns integer
language sql
stable
as $$
    select coalesce((select l.position from xp.layers l
                      where l.mode = p_mode and l.min_level <= p_level
                      order by l.min_level desc limit 1), 0);
$$;

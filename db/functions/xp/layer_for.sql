-- drop: drop function if exists xp.layer_for(text, integer);
-- The layer of a mode that a level (reached with that mode's XP) puts a user in.
create or replace function xp.layer_for(p_mode text, p_level integer)
returns text
language sql
stable
parallel safe
as $$
    select code from xp.layers where mode = p_mode and min_level <= p_level order by min_level desc limit 1;
$$;

-- drop: drop function if exists xp.layer_for(text, integer);
-- The layer of a mode that a level (reached with that mode's XP) puts a user in. plpgsql for
-- its cached plan (see xp.level_for).
create or replace function xp.layer_for(p_mode text, p_level integer)
returns text
language plpgsql
stable
parallel safe
as $$
declare
    v_code text;
begin
    select code into v_code from xp.layers
     where mode = p_mode and min_level <= p_level order by min_level desc limit 1;
    return v_code;
end;
$$;

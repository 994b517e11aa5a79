-- drop: drop function if exists xp.rebuild_ranks(text);
-- Rebuilds both boards of a season (xp.rebuild_board), in the caller's transaction. The
-- worker rebuilds each board in a transaction of its own instead, so each is published as
-- soon as it is built. Returns the number of ranked rows.
create or replace function xp.rebuild_ranks(p_season text)
returns bigint
language plpgsql
volatile
as $$
begin
    return xp.rebuild_board(p_season, 'reality') + xp.rebuild_board(p_season, 'cyber');
end;
$$;

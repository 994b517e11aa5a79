-- drop: drop function if exists seasons.arounds(text[], text[], uuid[], integer[]);
-- Several callers' own rank / around-me in one call (src/read_batcher.py): item i is
-- seasons.around(p_seasons[i], p_modes[i], p_user_ids[i], p_arounds[i]) as text, in the order
-- asked. One round trip and one statement for many reads; each is seasons.around's own answer
-- (its walks take their own snapshots). An error of any item (an unknown season) raises as
-- seasons.around does; the caller then asks for each item alone.
create or replace function seasons.arounds(p_seasons text[], p_modes text[], p_user_ids uuid[], p_arounds integer[])
returns text[]
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    select array_agg(seasons.around(a.season, a.mode, a.user_id, a.around)::text order by a.item)
      from unnest(p_seasons, p_modes, p_user_ids, p_arounds) with ordinality as a(season, mode, user_id, around, item);
$$;

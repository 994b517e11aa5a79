-- drop: drop function if exists xp.profiles(uuid[]);
-- Several callers' GET /users/me/profile in one call (src/read_batcher.py): each item is
-- xp.profile's document as text, in the order asked. One round trip and one statement for
-- many reads; each read is still xp.profile's own (its rank probes take their own snapshots).
-- An unknown user raises as xp.profile does; the caller then asks for each item alone.
create or replace function xp.profiles(p_user_ids uuid[])
returns text[]
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    select array_agg(xp.profile(u.id)::text order by u.item)
      from unnest(p_user_ids) with ordinality as u(id, item);
$$;

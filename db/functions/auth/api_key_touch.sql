-- drop: drop function if exists auth.api_key_touch(uuid);
-- Records use; the API calls it at most once a minute per key and process.
create or replace function auth.api_key_touch(p_id uuid)
returns void
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    update auth.api_keys set last_used_at = now() where id = p_id;
$$;

-- drop: drop function if exists engage.deactivate(text);
-- DELETE /admin/achievements/{key}: retires an achievement (no more progress; unlocks stay and
-- still show). Null when there is none by that key.
create or replace function engage.deactivate(p_key text)
returns text
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    update engage.achievements set active = false, updated_at = now() where key = p_key returning key;
$$;

-- drop: drop function if exists challenges.deactivate(text);
-- Retires a challenge (admin DELETE): it stays, with its completions, but is no longer listed.
-- Returns the slug, or null when there is no such challenge (the API answers 404).
create or replace function challenges.deactivate(p_slug text)
returns text
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    update challenges.challenges set active = false, updated_at = now() where slug = p_slug returning slug;
$$;

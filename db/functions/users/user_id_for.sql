-- drop: drop function if exists app.user_id_for(uuid, text);
-- The one place a caller's user reference is resolved: an id as given, or the live user with
-- that Discord id (null when there is none). Awards and the service lookup all use it.
create or replace function app.user_id_for(p_id uuid, p_discord_id text)
returns uuid
language sql
stable
as $$
    select coalesce(p_id, (select u.id from app.users u where u.discord_id = p_discord_id and u.deleted_at is null));
$$;

-- drop: drop function if exists notify.device_unregister(uuid, text);
-- Forgets a push token, only if it is the caller's (another user's token is left alone).
create or replace function notify.device_unregister(p_user_id uuid, p_token text)
returns boolean
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    with gone as (delete from notify.devices where token = p_token and user_id = p_user_id returning 1)
    select exists (select 1 from gone);
$$;

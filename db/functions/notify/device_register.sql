-- drop: drop function if exists notify.device_register(uuid, text, text);
-- Registers a push token for a user. A token has one owner at a time: registering a token held
-- by another user moves it (the device changed hands). One statement, safe under races.
create or replace function notify.device_register(p_user_id uuid, p_token text, p_platform text)
returns jsonb
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    insert into notify.devices as d (token, user_id, platform)
    values (p_token, p_user_id, p_platform)
    on conflict (token) do update
        set user_id = excluded.user_id, platform = excluded.platform, last_seen_at = now()
    returning jsonb_build_object('token', d.token, 'platform', d.platform, 'created_at', d.created_at,
                                 'last_seen_at', d.last_seen_at);
$$;

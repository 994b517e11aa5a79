-- drop: drop function if exists notify.broadcast_create(uuid, text, text, jsonb);
-- Records an admin broadcast; the fan-out runs in batches (notify.broadcast_batch) by a job.
create or replace function notify.broadcast_create(p_admin_id uuid, p_title text, p_body text, p_data jsonb)
returns bigint
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    insert into notify.broadcasts (created_by, title, body, data) values (p_admin_id, p_title, p_body, coalesce(p_data, '{}'))
    returning id;
$$;

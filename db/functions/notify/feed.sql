-- drop: drop function if exists notify.feed(uuid, boolean, bigint, integer);
-- The in-app feed, newest first, keyset-paginated by id; unread_count is always the total.
create or replace function notify.feed(p_user_id uuid, p_unread_only boolean, p_cursor bigint, p_limit integer)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    with page as (
        select id, kind, title, body, data, created_at, read_at
        from notify.outbox
        where user_id = p_user_id
          and (not coalesce(p_unread_only, false) or read_at is null)
          and (p_cursor is null or id < p_cursor)
        order by id desc
        limit least(greatest(coalesce(p_limit, 20), 1), 100) + 1
    ), shown as (
        select * from page order by id desc limit least(greatest(coalesce(p_limit, 20), 1), 100)
    )
    select jsonb_build_object(
        'items', coalesce((select jsonb_agg(jsonb_build_object(
            'id', id, 'kind', kind, 'title', title, 'body', body, 'data', data,
            'created_at', created_at, 'read_at', read_at) order by id desc) from shown), '[]'::jsonb),
        'unread_count', (select count(*) from notify.outbox where user_id = p_user_id and read_at is null),
        'next_cursor', case when (select count(*) from page) > least(greatest(coalesce(p_limit, 20), 1), 100)
                            then (select min(id) from shown)::text end);
$$;

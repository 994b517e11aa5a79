-- drop: drop function if exists notify.live_items(bigint[], uuid[], bigint);
-- What the live hub of an API process (src/live/hub.py) pushes to its open streams after a
-- wake-up, in ONE call for every stream of the process: the notifications named by id
-- (p_ids, from notify.enqueue's payloads, already filtered to users with a stream), and, when
-- a batch writer woke it (season close, broadcast, league close: one NOTIFY for many rows),
-- each streaming user's notifications after p_after (at most 20 each, by the feed index).
-- Each item is the feed's shape (notify.feed), as JSON text sent as it is.
create or replace function notify.live_items(p_ids bigint[], p_users uuid[], p_after bigint)
returns table (user_id uuid, id bigint, item text)
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select o.user_id, o.id,
           json_build_object('id', o.id, 'kind', o.kind, 'title', o.title, 'body', o.body, 'data', o.data,
                             'created_at', o.created_at, 'read_at', o.read_at)::text
    from (
        select o.* from notify.outbox o
        where o.id = any(coalesce(p_ids, '{}')) and o.user_id = any(coalesce(p_users, '{}'))
        union
        select n.* from unnest(coalesce(p_users, '{}')) as u(user_id)
        cross join lateral (
            select o.* from notify.outbox o
            where p_after is not null and o.user_id = u.user_id and o.id > p_after
            order by o.id
            limit 20
        ) n
    ) o
    order by o.id;
$$;

-- drop: drop function if exists xp.events_page(uuid, bigint, integer);
-- The user's XP events, newest first, keyset-paginated by event id.
create or replace function xp.events_page(p_user_id uuid, p_cursor bigint, p_limit integer)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    with page as (
        select id, activity_key, source, mode, units, xp, occurred_at, created_at, metadata
        from xp.ledger
        where user_id = p_user_id and (p_cursor is null or id < p_cursor)
        order by id desc
        limit least(greatest(p_limit, 1), 100) + 1
    ), shown as (
        select * from page order by id desc limit least(greatest(p_limit, 1), 100)
    )
    select jsonb_build_object(
        'items', coalesce((select jsonb_agg(jsonb_build_object(
            'id', id, 'activity', activity_key, 'source', source, 'mode', mode, 'units', units, 'xp', xp,
            'occurred_at', occurred_at, 'created_at', created_at, 'metadata', metadata) order by id desc) from shown), '[]'),
        'next_cursor', case when (select count(*) from page) > least(greatest(p_limit, 1), 100)
                            then (select min(id) from shown)::text end);
$$;

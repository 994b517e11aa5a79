-- drop: drop function if exists notify.broadcasts_pending();
-- The broadcasts not yet fanned out to everyone, oldest first (the worker's safety-net sweep).
create or replace function notify.broadcasts_pending()
returns table (id bigint)
language sql
stable
as $$
    select b.id from notify.broadcasts b where b.done_at is null order by b.id;
$$;

-- drop: drop function if exists engage.backfills_pending();
-- The keys of active achievements whose back-fill is not finished (worker only: the sweep job).
create or replace function engage.backfills_pending()
returns setof text
language sql
stable
as $$
    select a.key from engage.backfills b join engage.achievements a on a.id = b.achievement_id
     where b.done_at is null and a.active order by b.started_at, a.key;
$$;

-- drop: drop function if exists engage.quest_admin_list();
-- GET /admin/quests: every quest of the pool (retired ones too), by period and key.
create or replace function engage.quest_admin_list()
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_agg(engage.quest_json(q) order by q.period, q.key), '[]'::jsonb) from engage.quests q;
$$;

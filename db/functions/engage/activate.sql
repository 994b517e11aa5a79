-- drop: drop function if exists engage.activate(text[]);
-- Operators (SQL, not the API): turns achievements on by key and restarts the back-fill of each
-- that was off, so users who already qualify unlock it (an award only unlocks the tiers it
-- crosses) and its activity's counters count the ledger. Returns the keys turned on.
--     select engage.activate(array['xp-1k', 'level-up', 'first-purchase']);
create or replace function engage.activate(p_keys text[])
returns text[]
language plpgsql
volatile
as $$
declare
    v_keys text[];
begin
    with turned as (
        update engage.achievements set active = true, updated_at = now()
         where key = any (p_keys) and not active
        returning id, key
    ), restarted as (
        insert into engage.backfills (achievement_id) select id from turned
        on conflict (achievement_id) do update set after_user = null, users_done = 0, started_at = now(), done_at = null
    )
    select coalesce(array_agg(key order by key), '{}') into v_keys from turned;
    return v_keys;
end;
$$;

-- drop: drop function if exists analytics.refresh(text);
-- Refreshes one materialized view of the analytics schema concurrently and returns how long it
-- took (ms), or null when another session is refreshing it right now: that refresh is skipped,
-- not queued behind the running one, so refreshes never pile up (two workers, a slow refresh
-- overrunning the next tick, an operator's manual run). CONCURRENTLY takes an EXCLUSIVE lock on
-- the view, which readers' ACCESS SHARE does not conflict with: they keep reading the previous
-- contents until the refresh commits. The refresh job (src/analytics/jobs.py) calls it once per
-- view, each in its own transaction. Workers only: no role is granted it.
create or replace function analytics.refresh(p_view text) returns double precision
language plpgsql as $$
declare
    v_view regclass;
    v_started timestamptz := clock_timestamp();
begin
    select c.oid::regclass into v_view
    from pg_class c
    where c.relnamespace = 'analytics'::regnamespace and c.relname = p_view and c.relkind = 'm';
    if v_view is null then
        raise exception 'analytics.% is not a materialized view', p_view using errcode = 'undefined_table';
    end if;
    -- one refresh per view at a time (held until this transaction ends)
    if not pg_try_advisory_xact_lock(hashtext('analytics.refresh'), v_view::oid::integer) then
        return null;
    end if;
    execute format('refresh materialized view concurrently %s', v_view);
    return extract(epoch from clock_timestamp() - v_started) * 1000;
end;
$$;
comment on function analytics.refresh(text) is 'Refresh one analytics materialized view concurrently; ms taken, null when another refresh of it is running.';

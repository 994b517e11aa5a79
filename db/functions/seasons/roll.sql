-- drop: drop function if exists seasons.roll();
-- The seasons cron (and every upgrade, db/after_migrate.sql): make sure this month and next
-- exist, move statuses with the clock, and close every ended season that is not closed yet.
-- What stores seasons ahead of their reads (seasons.resolve only reads). Returns how many
-- seasons it closed.
create or replace function seasons.roll()
returns integer
language plpgsql
volatile
as $$
declare
    v_id text;
    v_closed integer := 0;
begin
    perform xp.season_for(now());
    perform xp.season_for(now() + interval '1 month');
    update xp.seasons set status = 'active' where status = 'upcoming' and starts_at <= now() and now() < ends_at;
    for v_id in select id from xp.seasons where status <> 'closed' and ends_at <= now() order by id loop
        perform seasons.close(v_id);
        v_closed := v_closed + 1;
    end loop;
    perform leagues.seat_pending();  -- first joins that waited while a close was running
    return v_closed;
end;
$$;

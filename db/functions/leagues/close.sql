-- drop: drop function if exists leagues.close(text);
-- The batched part of a season's close (seasons.close calls it, under the season's row lock):
-- final standings, league results, placements and notifications, exactly once per (season,
-- mode), in the caller's transaction: leagues.close_batch until the season is done, in batches
-- of 100,000 cohorts (one batch per phase for any season of a sane size), then the next
-- season's first joins that waited for it (leagues.seat_pending). The seasons cron runs the
-- same batches first, each in its own transaction (src/leagues/jobs.py), so that by the time
-- seasons.close calls this, nothing is left and it returns at once. Returns how many rows it
-- wrote (0 on a second run). docs/leagues.md has the rules.
create or replace function leagues.close(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_rows bigint;
    v_total bigint := 0;
begin
    loop
        v_rows := leagues.close_batch(p_season, 100000);
        exit when v_rows is null;
        v_total := v_total + v_rows;
    end loop;
    -- the next season's first joins that waited for this close
    perform leagues.seat_pending();
    return v_total;
end;
$$;

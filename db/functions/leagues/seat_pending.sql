-- drop: drop function if exists leagues.seat_pending();
-- Seats the first joins that waited for their previous season's close (leagues.join), in the
-- order they came, once that close has run. leagues.close calls it for the season after the one
-- it closed, and seasons.roll for any left (a join that waited while the close was running).
-- A loop over the waiting joins only, a month's first minutes of players with history, not over
-- the population. Returns how many it seated.
create or replace function leagues.seat_pending()
returns integer
language plpgsql
volatile
as $$
declare
    v_row leagues.pending;
    v_seated integer := 0;
begin
    for v_row in
        select p.* from leagues.pending p
        where exists (select from leagues.closes c
                      where c.season_id = to_char(to_date(p.season_id, 'YYYY-MM') - interval '1 month', 'YYYY-MM')
                        and c.mode = p.mode)
           or not exists (select from xp.seasons s
                          where s.id = to_char(to_date(p.season_id, 'YYYY-MM') - interval '1 month', 'YYYY-MM')
                            and s.status <> 'closed')
        order by p.at
        for update of p skip locked
    loop
        delete from leagues.pending where season_id = v_row.season_id and mode = v_row.mode and user_id = v_row.user_id;
        perform leagues.join(v_row.season_id, v_row.mode, v_row.user_id);
        v_seated := v_seated + 1;
    end loop;
    return v_seated;
end;
$$;

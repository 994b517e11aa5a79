-- drop: drop function if exists leagues.closes_due();
-- The seasons whose league close the seasons cron drives now (src/leagues/jobs.py): ended and
-- not closed yet, oldest first, as seasons.roll will close them right after.
create or replace function leagues.closes_due()
returns setof text
language sql
stable
as $$
    select s.id from xp.seasons s where s.status <> 'closed' and s.ends_at <= now() order by s.id;
$$;

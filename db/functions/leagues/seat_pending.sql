-- drop: drop function if exists leagues.seat_pending(integer);
-- Seats the first joins that waited for their previous season's close (leagues.join), in the
-- order they came, once that close has run: all of them, or the oldest `p_limit` (the seasons
-- cron seats them in batches, each its own transaction, so a tier's open cohort is never locked
-- for long: src/leagues/jobs.py). leagues.close calls it for the season after the one it
-- closed, and seasons.roll for any left (a join that waited while the close was running).
-- Set-based, as leagues.join would have seated them one after the other: per (season, mode,
-- tier), the tier's open cohort is locked, its free seats go to the oldest waiting joins, and
-- the rest fill new cohorts of the tier's size, in order. Returns how many it seated.
create or replace function leagues.seat_pending(p_limit integer default null)
returns integer
language plpgsql
volatile
as $$
declare
    v_group record;
    v_cohort bigint;
    v_members integer;
    v_capacity integer;
    v_free integer;
    v_seq integer;
    v_last bigint;
    v_seated integer := 0;
begin
    perform from leagues.pending limit 1;
    if not found then
        return 0;
    end if;
    create temp table if not exists league_seats (
        season_id text, mode text, user_id uuid, tier integer, size integer, at timestamptz
    ) on commit drop;
    truncate league_seats;
    with ready as (
        select p.season_id, p.mode, p.user_id, p.at from leagues.pending p
        where exists (select from leagues.closes c
                      where c.season_id = to_char(to_date(p.season_id, 'YYYY-MM') - interval '1 month', 'YYYY-MM')
                        and c.mode = p.mode)
           or not exists (select from xp.seasons s
                          where s.id = to_char(to_date(p.season_id, 'YYYY-MM') - interval '1 month', 'YYYY-MM')
                            and s.status <> 'closed')
        order by p.at
        limit p_limit
        for update of p skip locked
    ), gone as (
        delete from leagues.pending p using ready r
        where p.season_id = r.season_id and p.mode = r.mode and p.user_id = r.user_id
        returning p.season_id, p.mode, p.user_id, p.at
    )
    insert into league_seats (season_id, mode, user_id, tier, size, at)
    -- the placed tier, or the nearest tier below it if an operator removed it; else the bottom
    select g.season_id, g.mode, g.user_id, t.position, t.cohort_size, g.at
    from gone g
    cross join lateral (
        select t.position, t.cohort_size from leagues.tiers t
        where t.mode = g.mode
        order by (t.position <= coalesce((select p.tier from leagues.placements p
                                          where p.mode = g.mode and p.user_id = g.user_id), 1)) desc,
                 case when t.position <= coalesce((select p.tier from leagues.placements p
                                                   where p.mode = g.mode and p.user_id = g.user_id), 1)
                      then -t.position else t.position end
        limit 1) t
    where not exists (select from leagues.members m
                      where m.season_id = g.season_id and m.mode = g.mode and m.user_id = g.user_id);

    for v_group in
        select s.season_id, s.mode, s.tier, min(s.size) as size, count(*)::integer as n
        from league_seats s group by s.season_id, s.mode, s.tier order by s.season_id, s.mode, s.tier
    loop
        loop
            select o.cohort_id into v_cohort from leagues.openings o
             where o.season_id = v_group.season_id and o.mode = v_group.mode and o.tier = v_group.tier for update;
            exit when found;
            insert into leagues.openings (season_id, mode, tier) values (v_group.season_id, v_group.mode, v_group.tier)
            on conflict do nothing;
        end loop;
        select c.members, c.capacity into v_members, v_capacity from leagues.cohorts c where c.id = v_cohort;
        v_free := coalesce(v_capacity - v_members, 0);
        select coalesce(max(c.seq), 0) into v_seq from leagues.cohorts c
         where c.season_id = v_group.season_id and c.mode = v_group.mode and c.tier = v_group.tier;
        -- the new cohorts the rest fill, v_group.size seats each (the last one partly)
        with opened as (
            insert into leagues.cohorts (season_id, mode, tier, seq, capacity, members)
            select v_group.season_id, v_group.mode, v_group.tier, v_seq + i, v_group.size,
                   least(v_group.size, v_group.n - v_free - (i - 1) * v_group.size)
            from generate_series(1, ceil(greatest(v_group.n - v_free, 0)::numeric / v_group.size)::integer) i
            returning id, seq
        ), numbered as (
            select s.user_id, row_number() over (order by s.at, s.user_id)::integer as k
            from league_seats s
            where s.season_id = v_group.season_id and s.mode = v_group.mode and s.tier = v_group.tier
        ), seats as (
            select n.user_id, v_cohort as cohort_id, v_members + n.k as seat, n.k
            from numbered n where n.k <= v_free
            union all
            select n.user_id, o.id, (n.k - v_free - 1) % v_group.size + 1, n.k
            from numbered n
            join opened o on o.seq = v_seq + (n.k - v_free - 1) / v_group.size + 1
            where n.k > v_free
        )
        insert into leagues.members (season_id, mode, user_id, cohort_id, tier, seat)
        select v_group.season_id, v_group.mode, s.user_id, s.cohort_id, v_group.tier, s.seat
        from seats s order by s.k;
        if v_free > 0 then
            update leagues.cohorts set members = members + least(v_free, v_group.n) where id = v_cohort;
        end if;
        if v_group.n > v_free then
            select c.id into v_last from leagues.cohorts c
             where c.season_id = v_group.season_id and c.mode = v_group.mode and c.tier = v_group.tier
             order by c.seq desc limit 1;
            update leagues.openings set cohort_id = v_last
             where season_id = v_group.season_id and mode = v_group.mode and tier = v_group.tier;
        end if;
        v_seated := v_seated + v_group.n;
    end loop;
    return v_seated;
end;
$$;

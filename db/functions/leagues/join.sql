-- drop: drop function if exists leagues.join(text, text, uuid);
-- Seats a user in a cohort of their tier for a season and mode, on the season's first XP in the
-- mode (the one-line hook in xp.book, which holds the user's totals row lock, so one user never
-- joins twice at once; the member row's primary key makes it once per season and mode). The
-- tier is the user's placement from the last close (leagues.placements), else the bottom tier.
-- Cohorts fill in order of joining: the tier's open cohort (leagues.openings) is locked, its
-- count taken; a full one is replaced by the next. O(1): a handful of primary-key probes. The
-- lock is held to the award's commit, so a tier's first joins of a season queue behind each
-- other (docs/leagues.md, Concurrency). While the previous season's close is still to come and
-- would decide the tier (the user has a placement, or played it), the join waits in
-- leagues.pending for leagues.seat_pending. A first XP booked into a season whose league close
-- has begun (leagues.closing) or ended joins no cohort. Returns the cohort id, or null (already
-- a member, waiting, too late, or no tiers for the mode).
create or replace function leagues.join(p_season text, p_mode text, p_user_id uuid)
returns bigint
language plpgsql
volatile
as $$
declare
    v_tier integer;
    v_size integer;
    v_cohort bigint;
    v_seat integer;
    v_seq integer;
    v_prev text;
begin
    perform from leagues.members where season_id = p_season and mode = p_mode and user_id = p_user_id;
    if found then
        return null;
    end if;
    -- A late first XP (booked at a time in an ended season) after that season's league close
    -- began: its cohorts are being frozen, so it joins none.
    if exists (select from leagues.closing c where c.season_id = p_season and c.mode = p_mode)
       or exists (select from leagues.closes c where c.season_id = p_season and c.mode = p_mode) then
        return null;
    end if;
    -- The previous season's close decides this user's tier and has not run yet (a month's first
    -- minutes, before the roll): wait for it in leagues.pending, without blocking the award.
    v_prev := to_char(to_date(p_season, 'YYYY-MM') - interval '1 month', 'YYYY-MM');
    if exists (select from xp.seasons s where s.id = v_prev and s.status <> 'closed')
       and not exists (select from leagues.closes c where c.season_id = v_prev and c.mode = p_mode)
       and (exists (select from leagues.placements p where p.mode = p_mode and p.user_id = p_user_id)
            or exists (select from leagues.members m
                       where m.season_id = v_prev and m.mode = p_mode and m.user_id = p_user_id)) then
        insert into leagues.pending (season_id, mode, user_id) values (p_season, p_mode, p_user_id)
        on conflict do nothing;
        return null;
    end if;
    -- the placed tier, or the nearest tier below it if an operator removed it; else the bottom
    select t.position, t.cohort_size into v_tier, v_size
      from leagues.tiers t
     where t.mode = p_mode
       and t.position <= coalesce((select p.tier from leagues.placements p where p.mode = p_mode and p.user_id = p_user_id), 1)
     order by t.position desc limit 1;
    if v_tier is null then
        select t.position, t.cohort_size into v_tier, v_size
          from leagues.tiers t where t.mode = p_mode order by t.position limit 1;
        if v_tier is null then
            return null;
        end if;
    end if;
    loop
        select o.cohort_id into v_cohort from leagues.openings o
         where o.season_id = p_season and o.mode = p_mode and o.tier = v_tier for update;
        exit when found;
        insert into leagues.openings (season_id, mode, tier) values (p_season, p_mode, v_tier) on conflict do nothing;
    end loop;
    update leagues.cohorts c set members = c.members + 1
     where c.id = v_cohort and c.members < c.capacity
    returning c.members into v_seat;
    if v_seat is null then
        select coalesce(max(c.seq), 0) + 1 into v_seq from leagues.cohorts c
         where c.season_id = p_season and c.mode = p_mode and c.tier = v_tier;
        insert into leagues.cohorts (season_id, mode, tier, seq, capacity, members)
        values (p_season, p_mode, v_tier, v_seq, v_size, 1)
        returning id, members into v_cohort, v_seat;
        update leagues.openings set cohort_id = v_cohort
         where season_id = p_season and mode = p_mode and tier = v_tier;
    end if;
    insert into leagues.members (season_id, mode, user_id, cohort_id, tier, seat)
    values (p_season, p_mode, p_user_id, v_cohort, v_tier, v_seat);
    return v_cohort;
end;
$$;

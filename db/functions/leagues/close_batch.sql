-- drop: drop function if exists leagues.close_batch(text, integer);
-- One batch of a season's league close, in the caller's transaction: the next `p_cohorts`
-- cohorts of a mode (by id, after the cursor in leagues.closing), or the next 30 x `p_cohorts`
-- placed users of the mode who did not play (by user id), or the mode's end (leagues.closes).
-- The first call opens the cursor of each mode not closed yet. Returns the results it wrote
-- (0 for a step that wrote none, such as the end of a phase), or null when the season's close
-- is complete for both modes. The cursor row is locked and advanced in the same transaction as
-- the results, so two drivers take turns, a crash resumes after the last committed batch, and
-- no cohort or user is closed twice (and leagues.results' key refuses it anyway).
--
-- Per batch, set-based, one statement each: the members of the cohorts ranked by season XP in
-- the board order (xp desc, reached_at, user_id) with window functions partitioned by cohort;
-- with at least min_members members the top ceil(promote_pct * n) are promoted and the bottom
-- floor(demote_pct * n) demoted (promotion wins where the zones meet); a member with no XP left
-- is demoted; no move above the top tier or below the bottom one. The rows go to
-- leagues.results, the changed tiers to leagues.placements (a stayer keeps their row), one
-- `league_result` notification per live member to the outbox (ordered by user, so its per-user
-- indexes are written in order; no dedupe key: it is written by the same statement as the
-- member's results row, whose key (season, mode, user) makes it once, and the outbox's unique
-- dedupe index was a fifth of the insert), and the coins of the tier's reward band
-- (store.credit_coins, idempotent per season, mode and user). Placed users who earned nothing
-- in the mode drop one tier (zone inactive; no notification).
create or replace function leagues.close_batch(p_season text, p_cohorts integer default 1000)
returns bigint
language plpgsql
volatile
-- a batch is a few tens of thousands of rows out of millions: index probes, never a scan of the
-- season's scores, the users or the placements per batch
set enable_hashjoin = off
set enable_mergejoin = off
-- the disabled joins make the estimates look huge: no JIT compile (seconds) for a batch
set jit = off
-- each batch sorts its members (cohort, xp, ...) and notifications (user): in memory
set work_mem = '64MB'
as $$
declare
    v_step leagues.closing;
    v_hi bigint;
    v_last uuid;
    v_scanned integer;
    v_paid bigint;
    v_rows bigint := 0;
begin
    -- one batch of a season at a time (two drivers, or a driver and seasons.close): the second
    -- waits here and then sees the first's cursor, or its end in leagues.closes
    perform pg_advisory_xact_lock(hashtext('leagues.close_batch'), hashtext(p_season));
    insert into leagues.closing (season_id, mode)
    select p_season, m.mode from (values ('reality'), ('cyber')) m (mode)
    where not exists (select from leagues.closes c where c.season_id = p_season and c.mode = m.mode)
    on conflict do nothing;
    select * into v_step from leagues.closing where season_id = p_season order by mode desc limit 1 for update;
    if not found then
        return null;
    end if;

    if v_step.phase = 'cohorts' then
        select max(b.id) into v_hi from (
            select c.id from leagues.cohorts c
            where c.season_id = p_season and c.mode = v_step.mode and c.id > v_step.after_cohort
            order by c.id limit p_cohorts) b;
        if v_hi is null then
            update leagues.closing set phase = 'inactive', batches = batches + 1
             where season_id = p_season and mode = v_step.mode;
            return 0;
        end if;

        with tiers as (
            select t.position, t.name, t.code, t.promote_pct, t.demote_pct, t.min_members,
                   lead(t.position) over (order by t.position) as up,
                   lag(t.position) over (order by t.position) as down
            from leagues.tiers t where t.mode = v_step.mode
        ), ranked as (
            select m.user_id, m.cohort_id, m.tier, coalesce(s.xp, 0) as xp,
                   rank() over (partition by m.cohort_id
                                order by coalesce(s.xp, 0) desc, s.reached_at, m.user_id) as rank,
                   count(*) over (partition by m.cohort_id) as n
            from leagues.members m
            left join xp.season_scores s on s.season_id = m.season_id and s.mode = m.mode and s.user_id = m.user_id
            where m.cohort_id > v_step.after_cohort and m.cohort_id <= v_hi
              and m.season_id = p_season and m.mode = v_step.mode
        ), zoned as (
            select r.*, t.up, t.down, t.name, t.code,
                   case when r.xp = 0 then 'demotion'
                        when r.n >= t.min_members and r.rank <= ceil(t.promote_pct * r.n) then 'promotion'
                        when r.n >= t.min_members and r.rank > r.n - floor(t.demote_pct * r.n) then 'demotion'
                        else 'none' end as zone,
                   u.id is not null as live
            from ranked r
            left join tiers t on t.position = r.tier
            left join app.users u on u.id = r.user_id and u.deleted_at is null
        ), moved as materialized (
            select z.*,
                   case when z.zone = 'promotion' and z.up is not null then 'promoted'
                        when z.zone = 'demotion' and z.down is not null then 'demoted'
                        else 'stayed' end as move,
                   case when z.zone = 'promotion' and z.up is not null then z.up
                        when z.zone = 'demotion' and z.down is not null then z.down
                        else z.tier end as next_tier,
                   case when z.live then coalesce((
                       select w.coins from leagues.rewards w
                       where w.mode = v_step.mode and w.position = z.tier and z.rank between w.from_rank and w.to_rank
                       order by w.from_rank desc limit 1), 0) else 0 end as coins
            from zoned z
        ), written as (
            insert into leagues.results (season_id, mode, user_id, cohort_id, tier, members, rank, xp, zone, move, next_tier, coins)
            select p_season, v_step.mode, m.user_id, m.cohort_id, m.tier, m.n, m.rank, m.xp, m.zone, m.move, m.next_tier, m.coins
            from moved m
        ), placed as (
            insert into leagues.placements as p (mode, user_id, tier, season_id)
            select v_step.mode, m.user_id, m.next_tier, p_season
            from moved m
            where not exists (select from leagues.placements q
                              where q.mode = v_step.mode and q.user_id = m.user_id and q.tier = m.next_tier)
            on conflict (mode, user_id) do update set tier = excluded.tier, season_id = excluded.season_id
                where p.season_id < excluded.season_id
        ), noted as (
            insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
            select m.user_id, 'league_result',
                   format('%s league: %s', initcap(v_step.mode), case m.move when 'promoted' then 'promoted to ' || nt.name
                                                                 when 'demoted' then 'down to ' || nt.name
                                                                 else 'staying in ' || nt.name end),
                   format('Season %s: you finished #%s of %s in your %s cohort with %s XP.', p_season, m.rank, m.n,
                          m.name, m.xp),
                   jsonb_build_object('season_id', p_season, 'mode', v_step.mode, 'tier', m.code, 'rank', m.rank,
                                      'members', m.n, 'xp', m.xp, 'move', m.move, 'next_tier', nt.code,
                                      'coins', m.coins),
                   null
            from moved m
            join tiers nt on nt.position = m.next_tier
            where m.live and m.code is not null  -- no text for a tier an operator removed
            order by m.user_id
        ), paid as (
            -- coins by rank band: one idempotent credit per rewarded member (none by default)
            select store.credit_coins(m.user_id, m.coins, 'bonus', format('league:%s:%s:%s', p_season, v_step.mode, m.user_id),
                                      jsonb_build_object('league', v_step.mode, 'season_id', p_season, 'tier', m.tier,
                                                         'rank', m.rank)) as credit
            from moved m where m.coins > 0
        )
        select (select count(*) from moved), (select count(*) from paid) into v_rows, v_paid;

        update leagues.closing set after_cohort = v_hi, batches = batches + 1
         where season_id = p_season and mode = v_step.mode;
    else
        -- Placed users without a cohort this season: one tier down (at most one move a season;
        -- a placement a later season's close already wrote is left alone).
        with scan as (
            select p.user_id, p.tier, p.season_id from leagues.placements p
            where p.mode = v_step.mode and (v_step.after_user is null or p.user_id > v_step.after_user)
            order by p.user_id limit 30 * p_cohorts
        ), tiers as (
            select t.position, lag(t.position) over (order by t.position) as down
            from leagues.tiers t where t.mode = v_step.mode
        ), written as (
            insert into leagues.results (season_id, mode, user_id, tier, xp, zone, move, next_tier)
            select p_season, v_step.mode, s.user_id, s.tier, 0, 'inactive',
                   case when t.down is null then 'stayed' else 'demoted' end, coalesce(t.down, s.tier)
            from scan s
            left join tiers t on t.position = s.tier
            where s.season_id < p_season
              and not exists (select from leagues.members m
                              where m.season_id = p_season and m.mode = v_step.mode and m.user_id = s.user_id)
            returning user_id, tier, next_tier
        ), placed as (
            update leagues.placements p set tier = w.next_tier, season_id = p_season
            from written w
            where p.mode = v_step.mode and p.user_id = w.user_id and w.next_tier <> w.tier
        )
        select (select count(*) from written), (select count(*) from scan), (select s.user_id from scan s order by s.user_id desc limit 1)
          into v_rows, v_scanned, v_last;
        if v_scanned < 30 * p_cohorts then
            delete from leagues.closing where season_id = p_season and mode = v_step.mode;
            insert into leagues.closes (season_id, mode) values (p_season, v_step.mode) on conflict do nothing;
        else
            update leagues.closing set after_user = v_last, batches = batches + 1
             where season_id = p_season and mode = v_step.mode;
        end if;
    end if;
    if v_rows > 0 then
        perform pg_notify('xpcore_outbox', 'league:' || p_season);
    end if;
    return v_rows;
end;
$$;

-- drop: drop function if exists leagues.close_batch(text, integer);
-- One batch of a season's close, in the caller's transaction. Per mode (reality, then cyber;
-- the notes phases after both modes' other phases), four phases, each a series of batches of about 30 x `p_cohorts` rows:
--   standings: the board's final standings (seasons.final_standings), the next lines of the
--              ranking index after the cursor, ranked by their position (the board order is
--              total: rank() never ties);
--   cohorts:   the next `p_cohorts` cohorts by id, ranked, their rows in leagues.results (in
--              user order) and the coins of a rank band;
--   users:     the next stretch of user ids, in order: the members' next tier in
--              leagues.placements, and the placed users who did not play (a results row, one
--              tier down). At its end the mode's close is recorded in leagues.closes: its tiers
--              are decided (the next season's waiting joins can be seated);
--   notes:     the next stretch of user ids again: each live user's notifications, the league
--              result ("promoted to Gold") and the final standing on the board, written in user
--              order so the outbox's per-user indexes are touched page by page.
-- The first call only opens the cursor of each mode not closed yet (leagues.closing); from then
-- on xp.book refuses XP booked into the season, and the batches wait (return 0) until the
-- transactions that were running when it opened (which may have read the season as open) have
-- ended, or for a minute at most. Returns the league results it wrote (0 for a standings or
-- notes batch, or a step that wrote none), or null when the season's close is complete for
-- both modes. The cursor row is locked and advanced in the same transaction as the rows, so two
-- drivers take turns, a crash resumes after the last committed batch, and nothing is written
-- twice (the keys of results, placements and final standings refuse it anyway).
--
-- The rules of a cohort (docs/leagues.md): members ranked by season XP in the board order (xp
-- desc, reached_at, user_id); with at least min_members members the top ceil(promote_pct * n)
-- are promoted and the bottom floor(demote_pct * n) demoted (promotion wins where the zones
-- meet); a member with no XP is demoted; no move above the top tier or below the bottom one.
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
-- each batch sorts its rows (cohort, xp, ...; user) in memory
set work_mem = '64MB'
as $$
declare
    v_step leagues.closing;
    v_n integer := 30 * greatest(p_cohorts, 1);
    v_hi bigint;
    v_rows bigint := 0;
    v_notes bigint := 0;
    v_last record;
    v_rewards boolean;
    v_hi_user uuid;
    v_results_hi uuid;
    v_results_n integer;
    v_placed_hi uuid;
    v_placed_n integer;
    -- the users phases' stretch (v_from, v_to] as plain bounds: a condition like `after is null or
    -- id > after` is no index bound in the generic plan plpgsql switches to after five batches,
    -- and every batch then read the season's rows from the start (at 1M members, quadratic)
    v_from uuid;
    v_to uuid;
    v_opened integer;
begin
    -- one batch of a season at a time (two drivers, or a driver and seasons.close): the second
    -- waits here and then sees the first's cursor, or its end in leagues.closes
    perform pg_advisory_xact_lock(hashtext('leagues.close_batch'), hashtext(p_season));
    insert into leagues.closing (season_id, mode)
    select p_season, m.mode from (values ('reality'), ('cyber')) m (mode)
    where not exists (select from leagues.closes c where c.season_id = p_season and c.mode = m.mode)
    on conflict do nothing;
    get diagnostics v_opened = row_count;
    if v_opened > 0 then
        -- just opened (xp.book refuses the season's XP from its commit on): the batches start
        -- in the next call, which first waits for the transactions older than this one
        return 0;
    end if;
    -- both modes' tiers first, then both modes' notifications
    select * into v_step from leagues.closing where season_id = p_season
     order by phase = 'notes', mode desc limit 1 for update;
    if not found then
        return null;
    end if;
    -- An award that read the season as open before the close began may still add XP to it:
    -- wait for the transactions older than the close (not in the transaction that opened it, as
    -- leagues.close from seasons.close does: nothing can change in it).
    if v_step.started_at <> now() and v_step.started_at > now() - interval '1 minute'
       and exists (select from pg_stat_activity a
                   where a.datname = current_database() and a.pid <> pg_backend_pid()
                     and a.backend_type = 'client backend' and a.xact_start < v_step.started_at) then
        return 0;
    end if;

    if v_step.phase = 'standings' then
        with page as (
            select p.* from (
                (select s.user_id, s.xp, s.reached_at from xp.season_scores s
                 where s.season_id = p_season and s.mode = v_step.mode and s.xp = v_step.rank_xp
                   and (s.reached_at, s.user_id) > (v_step.rank_reached, v_step.rank_user)
                 order by s.xp desc, s.reached_at, s.user_id limit v_n)
                union all
                (select s.user_id, s.xp, s.reached_at from xp.season_scores s
                 where s.season_id = p_season and s.mode = v_step.mode and s.xp > 0
                   and s.xp < coalesce(v_step.rank_xp, 9223372036854775807)
                 order by s.xp desc, s.reached_at, s.user_id limit v_n)
            ) p
            order by p.xp desc, p.reached_at, p.user_id limit v_n
        ), ranked as materialized (
            select p.*, v_step.ranked + row_number() over (order by p.xp desc, p.reached_at, p.user_id) as rank
            from page p
        ), written as (
            insert into seasons.final_standings (season_id, mode, user_id, rank, xp)
            select p_season, v_step.mode, r.user_id, r.rank, r.xp from ranked r
        )
        select r.rank, r.xp, r.reached_at, r.user_id into v_last from ranked r order by r.rank desc limit 1;
        if coalesce(v_last.rank - v_step.ranked, 0) < v_n then
            update leagues.closing set phase = 'cohorts', ranked = coalesce(v_last.rank, v_step.ranked),
                   batches = batches + 1
             where season_id = p_season and mode = v_step.mode;
        else
            update leagues.closing
               set ranked = v_last.rank, rank_xp = v_last.xp, rank_reached = v_last.reached_at,
                   rank_user = v_last.user_id, batches = batches + 1
             where season_id = p_season and mode = v_step.mode;
        end if;
    elsif v_step.phase = 'cohorts' then
        select max(b.id) into v_hi from (
            select c.id from leagues.cohorts c
            where c.season_id = p_season and c.mode = v_step.mode and c.id > v_step.after_cohort
            order by c.id limit p_cohorts) b;
        if v_hi is null then
            update leagues.closing set phase = 'users', batches = batches + 1
             where season_id = p_season and mode = v_step.mode;
            return 0;
        end if;
        v_rewards := exists (select from leagues.rewards w where w.mode = v_step.mode);

        with tiers as (
            select t.position, t.promote_pct, t.demote_pct, t.min_members,
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
            select r.*, t.up, t.down,
                   case when r.xp = 0 then 'demotion'
                        when r.n >= t.min_members and r.rank <= ceil(t.promote_pct * r.n) then 'promotion'
                        when r.n >= t.min_members and r.rank > r.n - floor(t.demote_pct * r.n) then 'demotion'
                        else 'none' end as zone
            from ranked r
            left join tiers t on t.position = r.tier
        ), moved as materialized (
            select z.*,
                   case when z.zone = 'promotion' and z.up is not null then 'promoted'
                        when z.zone = 'demotion' and z.down is not null then 'demoted'
                        else 'stayed' end as move,
                   case when z.zone = 'promotion' and z.up is not null then z.up
                        when z.zone = 'demotion' and z.down is not null then z.down
                        else z.tier end as next_tier,
                   -- a live member's coins by rank band (none by default: no probe then)
                   case when v_rewards then coalesce((
                       select w.coins from leagues.rewards w
                       join app.users u on u.id = z.user_id and u.deleted_at is null
                       where w.mode = v_step.mode and w.position = z.tier and z.rank between w.from_rank and w.to_rank
                       order by w.from_rank desc limit 1), 0) else 0 end as coins
            from zoned z
        ), written as (
            -- in key order: the results key's pages are written one after the other
            insert into leagues.results (season_id, mode, user_id, cohort_id, tier, members, rank, xp, zone, move, next_tier, coins)
            select p_season, v_step.mode, m.user_id, m.cohort_id, m.tier, m.n, m.rank, m.xp, m.zone, m.move, m.next_tier,
                   m.coins
            from moved m
            order by m.user_id
        ), paid as (
            -- coins by rank band: one idempotent credit per rewarded member
            select store.credit_coins(m.user_id, m.coins, 'bonus', format('league:%s:%s:%s', p_season, v_step.mode, m.user_id),
                                      jsonb_build_object('league', v_step.mode, 'season_id', p_season, 'tier', m.tier,
                                                         'rank', m.rank)) as credit
            from moved m where m.coins > 0
        )
        select (select count(*) from moved), (select count(*) from paid) into v_rows, v_notes;

        update leagues.closing set after_cohort = v_hi, batches = batches + 1
         where season_id = p_season and mode = v_step.mode;
    else
        -- The stretch of user ids (after_user, v_hi_user]: as far as the next v_n results rows
        -- of the mode or the next v_n placements (users phase) or final standings (notes phase),
        -- whichever ends first; the last one is open.
        v_from := coalesce(v_step.after_user, '00000000-0000-0000-0000-000000000000');
        select x.user_id, x.k into v_results_hi, v_results_n from (
            select r.user_id, row_number() over (order by r.user_id) as k from leagues.results r
            where r.season_id = p_season and r.mode = v_step.mode
              and r.user_id > v_from
            order by r.user_id limit v_n) x
        order by x.k desc limit 1;
        if v_step.phase = 'users' then
            select x.user_id, x.k into v_placed_hi, v_placed_n from (
                select p.user_id, row_number() over (order by p.user_id) as k from leagues.placements p
                where p.mode = v_step.mode and p.user_id > v_from
                order by p.user_id limit v_n) x
            order by x.k desc limit 1;
        else
            select x.user_id, x.k into v_placed_hi, v_placed_n from (
                select f.user_id, row_number() over (order by f.user_id) as k from seasons.final_standings f
                where f.season_id = p_season and f.mode = v_step.mode
                  and f.user_id > v_from
                order by f.user_id limit v_n) x
            order by x.k desc limit 1;
        end if;
        v_results_n := coalesce(v_results_n, 0);
        v_placed_n := coalesce(v_placed_n, 0);
        v_hi_user := case when v_results_n < v_n and v_placed_n < v_n then null
                          when v_results_n < v_n then v_placed_hi
                          when v_placed_n < v_n then v_results_hi
                          when v_results_hi < v_placed_hi then v_results_hi
                          else v_placed_hi end;
        v_to := coalesce(v_hi_user, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
    end if;

    if v_step.phase = 'users' then
        with tiers as (
            select t.position, lag(t.position) over (order by t.position) as down
            from leagues.tiers t where t.mode = v_step.mode
        ), idle as (
            -- placed users without a cohort this season: one tier down (at most one move a
            -- season; a placement a later season's close already wrote is left alone)
            insert into leagues.results (season_id, mode, user_id, tier, xp, zone, move, next_tier)
            select p_season, v_step.mode, p.user_id, p.tier, 0, 'inactive',
                   case when t.down is null then 'stayed' else 'demoted' end, coalesce(t.down, p.tier)
            from leagues.placements p
            left join tiers t on t.position = p.tier
            where p.mode = v_step.mode
              and p.user_id > v_from
              and p.user_id <= v_to
              and p.season_id < p_season
              -- a probe per placement (a subplan: a fresh results table's stale statistics
              -- once made this a scan of the season's results per placement)
              and (select r.user_id from leagues.results r
                   where r.season_id = p_season and r.mode = v_step.mode and r.user_id = p.user_id) is null
            order by p.user_id
            returning user_id, tier, next_tier
        ), demoted as (
            update leagues.placements p set tier = w.next_tier, season_id = p_season
            from idle w
            where p.mode = v_step.mode and p.user_id = w.user_id and w.next_tier <> w.tier
        ), placed as (
            -- the members' next tier (a stayer keeps their row)
            insert into leagues.placements as p (mode, user_id, tier, season_id)
            select v_step.mode, r.user_id, r.next_tier, p_season
            from leagues.results r
            where r.season_id = p_season and r.mode = v_step.mode and r.cohort_id is not null
              and r.user_id > v_from
              and r.user_id <= v_to
              and not exists (select from leagues.placements q
                              where q.mode = v_step.mode and q.user_id = r.user_id and q.tier = r.next_tier)
            order by r.user_id
            on conflict (mode, user_id) do update set tier = excluded.tier, season_id = excluded.season_id
                where p.season_id < excluded.season_id
        )
        select count(*) into v_rows from idle;
        if v_hi_user is null then
            -- the mode's tiers are decided: the next season's waiting joins may be seated
            insert into leagues.closes (season_id, mode) values (p_season, v_step.mode) on conflict do nothing;
            update leagues.closing set phase = 'notes', after_user = null, batches = batches + 1
             where season_id = p_season and mode = v_step.mode;
        else
            update leagues.closing set after_user = v_hi_user, batches = batches + 1
             where season_id = p_season and mode = v_step.mode;
        end if;
    elsif v_step.phase = 'notes' then
        with tiers as (
            select t.position, t.code, t.name from leagues.tiers t where t.mode = v_step.mode
        ), notes as (
            -- one league result per live member (none for a tier an operator removed) ...
            select r.user_id, 'league_result' as kind,
                   format('%s league: %s', initcap(v_step.mode), case r.move when 'promoted' then 'promoted to ' || nt.name
                                                                 when 'demoted' then 'down to ' || nt.name
                                                                 else 'staying in ' || nt.name end) as title,
                   format('Season %s: you finished #%s of %s in your %s cohort with %s XP.', p_season, r.rank, r.members,
                          ct.name, r.xp) as body,
                   jsonb_build_object('season_id', p_season, 'mode', v_step.mode, 'tier', ct.code, 'rank', r.rank,
                                      'members', r.members, 'xp', r.xp, 'move', r.move, 'next_tier', nt.code,
                                      'coins', r.coins) as data,
                   null as dedupe_key
            from leagues.results r
            join tiers ct on ct.position = r.tier
            join tiers nt on nt.position = r.next_tier
            where r.season_id = p_season and r.mode = v_step.mode and r.cohort_id is not null
              and r.user_id > v_from
              and r.user_id <= v_to
              -- live: not among the (few) deleted users, a probe of their partial index that
              -- reads no heap (a join to app.users read a random heap page per member). A
              -- subplan, so the probe is always by id: an anti join planned while the index
              -- looked empty scans all of it for every member
              and (select u.id from app.users u where u.id = r.user_id and u.deleted_at is not null) is null
            union all
            -- ... and one final standing on the mode's board per live user who earned XP
            select f.user_id, 'season_final_standing',
                   format('Season %s: #%s in %s', f.season_id, f.rank, f.mode),
                   format('You finished season %s at rank %s of the %s board with %s XP.', f.season_id, f.rank, f.mode, f.xp),
                   jsonb_build_object('season_id', f.season_id, 'mode', f.mode, 'rank', f.rank, 'xp', f.xp),
                   null
            from seasons.final_standings f
            where f.season_id = p_season and f.mode = v_step.mode
              and f.user_id > v_from
              and f.user_id <= v_to
              and (select u.id from app.users u where u.id = f.user_id and u.deleted_at is not null) is null
        ), noted as (
            -- in user order: each user's two rows side by side in the per-user indexes. No dedupe
            -- key and no ON CONFLICT: the cursor, advanced in this transaction, makes them once,
            -- and the unique dedupe index and the speculative insertion were a fifth of the insert.
            -- A user without a push device gets the rows already fanned out (what notify.fan_out
            -- would find): they skip the fan-out index, and the worker does not rewrite a million
            -- rows after the close only to mark them so.
            insert into notify.outbox (user_id, kind, title, body, data, dedupe_key, fanned_at)
            select n.user_id, n.kind, n.title, n.body, n.data, n.dedupe_key,
                   case when not exists (select from notify.devices d where d.user_id = n.user_id) then now() end
            from notes n
            order by n.user_id, n.kind
            returning 1
        )
        select count(*) into v_notes from noted;
        if v_hi_user is null then
            delete from leagues.closing where season_id = p_season and mode = v_step.mode;
        else
            update leagues.closing set after_user = v_hi_user, batches = batches + 1
             where season_id = p_season and mode = v_step.mode;
        end if;
        if v_notes > 0 then
            perform pg_notify('xpcore_outbox', 'league:' || p_season);
        end if;
    end if;
    return v_rows;
end;
$$;

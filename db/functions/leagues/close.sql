-- drop: drop function if exists leagues.close(text);
-- The league part of a season's close (seasons.close calls it, under the season's row lock),
-- exactly once per (season, mode): leagues.closes records each mode's close, and a second run
-- finds it and moves nobody. Set-based, per mode: every cohort ranked by season XP in the board
-- order (xp desc, reached_at, user_id); with at least min_members members the top
-- ceil(promote_pct * n) are promoted and the bottom floor(demote_pct * n) demoted (promotion
-- wins where the zones meet); a member with no XP left is demoted; no move above the top tier
-- or below the bottom one. Placed users who earned nothing in the mode this season drop one
-- tier (zone inactive). The results are frozen in leagues.results, the next season's tiers in
-- leagues.placements, each member gets one `league_result` notification and the coins of their
-- tier's reward band (store.credit_coins, idempotent per season, mode and user). Returns how
-- many results it wrote (0 on a second run).
create or replace function leagues.close(p_season text)
returns bigint
language plpgsql
volatile
-- the cohort ranking sorts every member of a mode: in memory, not in temp files (4 MB default)
set work_mem = '64MB'
as $$
declare
    v_mode text;
    v_rows bigint;
    v_total bigint := 0;
begin
    foreach v_mode in array array['reality', 'cyber'] loop
        insert into leagues.closes (season_id, mode) values (p_season, v_mode) on conflict do nothing;
        continue when not found;

        with tiers as (
            select t.position, t.promote_pct, t.demote_pct, t.min_members,
                   lead(t.position) over (order by t.position) as up,
                   lag(t.position) over (order by t.position) as down
            from leagues.tiers t where t.mode = v_mode
        ), ranked as (
            select m.user_id, m.cohort_id, m.tier, coalesce(s.xp, 0) as xp,
                   rank() over (partition by m.cohort_id
                                order by coalesce(s.xp, 0) desc, s.reached_at, m.user_id) as rank,
                   count(*) over (partition by m.cohort_id) as n
            from leagues.members m
            left join xp.season_scores s on s.season_id = m.season_id and s.mode = m.mode and s.user_id = m.user_id
            where m.season_id = p_season and m.mode = v_mode
        ), zoned as (
            select r.*, t.up, t.down,
                   case when r.xp = 0 then 'demotion'
                        when r.n >= t.min_members and r.rank <= ceil(t.promote_pct * r.n) then 'promotion'
                        when r.n >= t.min_members and r.rank > r.n - floor(t.demote_pct * r.n) then 'demotion'
                        else 'none' end as zone
            from ranked r left join tiers t on t.position = r.tier
        )
        insert into leagues.results (season_id, mode, user_id, cohort_id, tier, members, rank, xp, zone, move, next_tier)
        select p_season, v_mode, z.user_id, z.cohort_id, z.tier, z.n, z.rank, z.xp, z.zone,
               case when z.zone = 'promotion' and z.up is not null then 'promoted'
                    when z.zone = 'demotion' and z.down is not null then 'demoted'
                    else 'stayed' end,
               case when z.zone = 'promotion' and z.up is not null then z.up
                    when z.zone = 'demotion' and z.down is not null then z.down
                    else z.tier end
        from zoned z;
        get diagnostics v_rows = row_count;
        v_total := v_total + v_rows;

        -- Placed users without a cohort this season: one tier down (at most one move a season;
        -- a placement a later season's close already wrote is left alone).
        with tiers as (
            select t.position, lag(t.position) over (order by t.position) as down
            from leagues.tiers t where t.mode = v_mode
        )
        insert into leagues.results (season_id, mode, user_id, tier, xp, zone, move, next_tier)
        select p_season, v_mode, p.user_id, p.tier, 0, 'inactive',
               case when t.down is null then 'stayed' else 'demoted' end, coalesce(t.down, p.tier)
        from leagues.placements p
        left join tiers t on t.position = p.tier
        where p.mode = v_mode and p.season_id < p_season
          and not exists (select from leagues.members m
                          where m.season_id = p_season and m.mode = v_mode and m.user_id = p.user_id);
        get diagnostics v_rows = row_count;
        v_total := v_total + v_rows;

        insert into leagues.placements as p (mode, user_id, tier, season_id)
        select r.mode, r.user_id, r.next_tier, r.season_id
        from leagues.results r where r.season_id = p_season and r.mode = v_mode
        on conflict (mode, user_id) do update set tier = excluded.tier, season_id = excluded.season_id
            where p.season_id < excluded.season_id;

        -- Coins by rank band: one idempotent credit per rewarded member.
        with paid as (
            select r.user_id, w.coins,
                   store.credit_coins(r.user_id, w.coins, 'bonus', format('league:%s:%s:%s', p_season, v_mode, r.user_id),
                                      jsonb_build_object('league', v_mode, 'season_id', p_season, 'tier', r.tier, 'rank', r.rank)) as credit
            from leagues.results r
            join leagues.rewards w on w.mode = v_mode and w.position = r.tier and r.rank between w.from_rank and w.to_rank
            join app.users u on u.id = r.user_id and u.deleted_at is null
            where r.season_id = p_season and r.mode = v_mode and r.cohort_id is not null
        )
        update leagues.results r set coins = paid.coins
          from paid where r.season_id = p_season and r.mode = v_mode and r.user_id = paid.user_id;

        -- One notification per member, written straight to the outbox as seasons.close does
        -- (one pg_notify for the batch, not one per row); notify.enqueue's dedupe key rule holds.
        insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
        select r.user_id, 'league_result',
               format('%s league: %s', initcap(r.mode), case r.move when 'promoted' then 'promoted to ' || nt.name
                                                           when 'demoted' then 'down to ' || nt.name
                                                           else 'staying in ' || nt.name end),
               format('Season %s: you finished #%s of %s in your %s cohort with %s XP.', r.season_id, r.rank, r.members,
                      t.name, r.xp),
               jsonb_build_object('season_id', r.season_id, 'mode', r.mode, 'tier', t.code, 'rank', r.rank,
                                  'members', r.members, 'xp', r.xp, 'move', r.move, 'next_tier', nt.code, 'coins', r.coins),
               format('league:%s:%s', r.season_id, r.mode)
        from leagues.results r
        join app.users u on u.id = r.user_id and u.deleted_at is null
        join leagues.tiers t on t.mode = r.mode and t.position = r.tier
        join leagues.tiers nt on nt.mode = r.mode and nt.position = r.next_tier
        where r.season_id = p_season and r.mode = v_mode and r.cohort_id is not null
        on conflict (user_id, kind, dedupe_key) where dedupe_key is not null do nothing;
    end loop;
    if v_total > 0 then
        perform pg_notify('xpcore_outbox', 'league:' || p_season);
    end if;
    -- the next season's first joins that waited for this close
    perform leagues.seat_pending();
    return v_total;
end;
$$;

-- drop: drop function if exists seasons.close(text);
-- Closes an ended season: its close in batches (leagues.close: each board's final standings with
-- exact ranks, the league results and placements, every participant's final-standing and league
-- notifications), the season_rank achievements, and marks the season closed so no more XP
-- counts toward it. The seasons cron runs those batches first, each its own transaction
-- (src/leagues/jobs.py), so this finds them done. Safe to run twice: the season row lock
-- serialises closers, the close is once per (season, mode), and a closed season answers its
-- frozen count.
create or replace function seasons.close(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_season xp.seasons;
    v_mode text;
    v_rows bigint;
begin
    select * into v_season from xp.seasons where id = p_season for update;
    if not found then
        raise exception 'no season %', p_season using errcode = 'XP404', detail = 'seasons.unknown_season';
    end if;
    if now() < v_season.ends_at then
        raise exception 'season % runs until %', p_season, v_season.ends_at
            using errcode = 'XP409', detail = 'seasons.still_running';
    end if;
    if v_season.status <> 'closed' then
        -- A mode whose league close was recorded before the standings became part of it (an
        -- upgrade between the two) has none: freeze them here, in one statement.
        for v_mode in
            select c.mode from leagues.closes c
            where c.season_id = p_season
              and not exists (select from seasons.final_standings f where f.season_id = p_season and f.mode = c.mode)
              and not exists (select from leagues.closing g where g.season_id = p_season and g.mode = c.mode)
        loop
            insert into seasons.final_standings (season_id, mode, user_id, rank, xp)
            select season_id, mode, user_id, rank, xp from seasons.board_ranks
            where season_id = p_season and mode = v_mode
            on conflict do nothing;
            insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
            select f.user_id, 'season_final_standing',
                   format('Season %s: #%s in %s', f.season_id, f.rank, f.mode),
                   format('You finished season %s at rank %s of the %s board with %s XP.', f.season_id, f.rank, f.mode, f.xp),
                   jsonb_build_object('season_id', f.season_id, 'mode', f.mode, 'rank', f.rank, 'xp', f.xp),
                   format('season:%s:%s', f.season_id, f.mode)
            from seasons.final_standings f
            join app.users u on u.id = f.user_id and u.deleted_at is null
            where f.season_id = p_season and f.mode = v_mode
            on conflict (user_id, kind, dedupe_key) where dedupe_key is not null do nothing;
        end loop;
        perform leagues.close(p_season);  -- standings, promotion and relegation, once per mode
        perform engage.on_season_close(p_season);
        perform pg_notify('xpcore_outbox', 'season:' || p_season);
        update xp.seasons set status = 'closed', closed_at = now() where id = p_season;
    end if;
    select count(*) into v_rows from seasons.final_standings where season_id = p_season;
    return v_rows;
end;
$$;

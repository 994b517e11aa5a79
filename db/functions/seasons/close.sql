-- drop: drop function if exists seasons.close(text);
-- Closes an ended season: freezes each board's final standings (exact ranks), writes every
-- participant's final-standing notification to the outbox, and marks the season closed so no
-- more XP counts toward it. Safe to run twice: the season row lock serialises closers, standings
-- and notifications are keyed, and a closed season answers its frozen count.
create or replace function seasons.close(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_season xp.seasons;
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
        insert into seasons.final_standings (season_id, mode, user_id, rank, xp)
        select season_id, mode, user_id, rank, xp
        from seasons.board_ranks
        where season_id = p_season
        on conflict do nothing;
        perform engage.on_season_close(p_season);

        insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
        select f.user_id, 'season_final_standing',
               format('Season %s: #%s in %s', f.season_id, f.rank, f.mode),
               format('You finished season %s at rank %s of the %s board with %s XP.', f.season_id, f.rank, f.mode, f.xp),
               jsonb_build_object('season_id', f.season_id, 'mode', f.mode, 'rank', f.rank, 'xp', f.xp),
               format('season:%s:%s', f.season_id, f.mode)
        from seasons.final_standings f
        join app.users u on u.id = f.user_id and u.deleted_at is null
        where f.season_id = p_season
        on conflict (user_id, kind, dedupe_key) where dedupe_key is not null do nothing;
        perform pg_notify('xpcore_outbox', 'season:' || p_season);
        perform leagues.close(p_season);  -- promotion and relegation per cohort, once per mode

        update xp.seasons set status = 'closed', closed_at = now() where id = p_season;
    end if;
    select count(*) into v_rows from seasons.final_standings where season_id = p_season;
    return v_rows;
end;
$$;

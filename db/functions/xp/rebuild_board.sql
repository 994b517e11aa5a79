-- drop: drop function if exists xp.rebuild_board(text, text);
-- Rebuilds the rank snapshot of one board (season and mode): exact competition ranks on the
-- board's total order (seasons.board_ranks), bulk-written in that order into an
-- unlogged slot table (derived data, rebuilt every few seconds: no WAL) with one index on the
-- order. Each line carries the user's name, avatar and level, so "who is around me" reads a
-- few adjacent rows instead of looking up each neighbour.
--
-- Slots: four fixed tables, xp.rank_slot_1..4, read with static SQL (xp.rank_walk) so readers
-- keep cached plans. A board owns two: the one readers use and a spare, which the next rebuild
-- rewrites and then flips to in one row update of xp.rank_generations. Readers never wait on a
-- rebuild and never see half of one. A board's first two builds each take a slot no board
-- holds, else one from the oldest board of an earlier season, which then answers from a live
-- count (exact; a past season's scores no longer move). A transaction still reading the spare
-- from before the last flip makes the rebuild fail after 5 s (55P03) rather than wait: the
-- board keeps its snapshot, and the next run tries again. Publishing NOTIFYs 'xpcore_ranks'
-- with `<season>/<mode>/<generation>` (delivered on commit, when readers see the new snapshot):
-- the API processes' live hubs push rank changes and board tops (src/live/hub.py). Returns the
-- number of ranked rows.
create or replace function xp.rebuild_board(p_season text, p_mode text)
returns bigint
language plpgsql
volatile
-- the build statement is cheap to plan and too short-lived to gain from compiling
set jit = off
as $$
declare
    v_generation bigint := nextval('xp.rank_generation');
    v_lock_timeout text := current_setting('lock_timeout');
    v_slot integer;
    v_old xp.rank_generations;
    v_table text;
    v_rows bigint;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode
            using errcode = 'XP404', detail = 'seasons.unknown_board';
    end if;
    -- rebuilds of one board queue behind each other
    perform pg_advisory_xact_lock(hashtext('xp.rebuild_board'), hashtext(p_season || '/' || p_mode));
    select spare_slot into v_slot from xp.rank_generations where season_id = p_season and mode = p_mode;
    if v_slot is null then
        -- slot allocations one at a time, each seeing the last one committed
        perform pg_advisory_xact_lock(hashtext('xp.rebuild_board'), 0);
        select s into v_slot from generate_series(1, 4) s
         where s not in (select slot from xp.rank_generations
                         union all select spare_slot from xp.rank_generations where spare_slot is not null)
         order by s limit 1;
        if v_slot is null then
            delete from xp.rank_generations
             where (season_id, mode) = (select season_id, mode from xp.rank_generations
                                         where season_id < p_season order by season_id, generated_at limit 1)
            returning * into v_old;
            if v_old is null then
                raise exception 'every rank slot is held by a board of season % or later', p_season
                    using errcode = 'XP409', detail = 'xp.rank_slots_exhausted';
            end if;
            v_slot := coalesce(v_old.spare_slot, v_old.slot);
        end if;
    end if;

    v_table := 'rank_slot_' || v_slot;
    -- only a transaction that read this board before its last flip can still hold the spare
    perform set_config('lock_timeout', '5s', true);
    begin
        execute format('drop table if exists xp.%I', v_table);
    exception when lock_not_available then
        raise exception 'rank slot % (board %/%) is still read by an open transaction', v_slot, p_season, p_mode
            using errcode = '55P03', hint = 'the board keeps its current snapshot; the next rebuild tries again';
    end;
    perform set_config('lock_timeout', v_lock_timeout, true);
    -- The order mirrors seasons.board_ranks, ranked after the joins: selecting from the view
    -- (window first, then serial joins) lost the parallel join and sort, ~40 % slower at 200k lines.
    execute format(
        'create unlogged table xp.%I as
         select row_number() over (order by s.xp desc, s.reached_at, s.user_id) as rank,
                -s.xp as neg_xp, s.reached_at, s.user_id, s.xp,
                u.username, u.display_name, u.avatar_url, t.%I as level
         from xp.season_scores s
         join app.users u on u.id = s.user_id
         left join xp.totals t on t.user_id = s.user_id
         where s.season_id = %L and s.mode = %L and s.xp > 0',
        v_table, p_mode || '_level', p_season, p_mode);
    get diagnostics v_rows = row_count;
    -- the board order (seasons.board_ranks) with xp negated, so that one ascending index serves it
    execute format('create index on xp.%I (neg_xp, reached_at, user_id)', v_table);
    insert into xp.rank_generations as g (season_id, mode, generation, slot, spare_slot, generated_at, rows)
    values (p_season, p_mode, v_generation, v_slot, null, now(), v_rows)
    on conflict (season_id, mode) do update
        set generation = excluded.generation, spare_slot = g.slot, slot = excluded.slot,
            generated_at = excluded.generated_at, rows = excluded.rows;
    perform pg_notify('xpcore_ranks', p_season || '/' || p_mode || '/' || v_generation);
    return v_rows;
end;
$$;

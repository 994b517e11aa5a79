-- drop: drop function if exists xp.publish_replica_board(text, text, interval, interval);
-- Publishes a LOGGED copy of a board's current rank snapshot for the streaming replicas: the
-- unlogged slots (xp.rebuild_board) write no WAL, so a standby cannot read them. Called by the
-- board job after a rebuild when replicas are configured; does nothing (null) when the last
-- copy is younger than p_every or already that generation, or the board has no snapshot.
-- The copy is the snapshot itself (same generation, generated_at and lines), in one of four
-- logged slots, xp.rank_slot_5..8, with the scheme of xp.rebuild_board: a board owns two (the
-- one standbys read and a spare), the copy rewrites the spare and flips to it in one row update
-- of xp.replica_rank_generations; an earlier season's board gives its slots up when none is
-- free. Nobody reads these on the primary; on a standby, replaying the drop of a slot that a
-- standby query still reads waits max_standby_streaming_delay and then cancels that query
-- (40001, retried on the primary by src/replicas.py): only a read that began before the last
-- flip, p_every ago, can hold the spare. `stale_after` (now + p_stale_after) is when standbys
-- stop serving the copy: the publisher stopped (xp.season_standing). Returns the lines copied.
create or replace function xp.publish_replica_board(
    p_season text, p_mode text, p_every interval, p_stale_after interval
)
returns bigint
language plpgsql
volatile
set jit = off
as $$
declare
    v_source xp.rank_generations;
    v_copy xp.replica_rank_generations;
    v_old xp.replica_rank_generations;
    v_slot integer;
    v_table text;
    v_rows bigint;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode
            using errcode = 'XP404', detail = 'seasons.unknown_board';
    end if;
    -- the board's lock (xp.rebuild_board): no rebuild rewrites or flips its snapshot meanwhile
    perform pg_advisory_xact_lock(hashtext('xp.rebuild_board'), hashtext(p_season || '/' || p_mode));
    select * into v_source from xp.rank_generations where season_id = p_season and mode = p_mode;
    select * into v_copy from xp.replica_rank_generations where season_id = p_season and mode = p_mode;
    if v_source is null or v_copy.generation = v_source.generation
       or v_copy.generated_at > v_source.generated_at - p_every then
        return null;
    end if;
    v_slot := v_copy.spare_slot;
    if v_copy is null or v_slot is null then
        perform pg_advisory_xact_lock(hashtext('xp.publish_replica_board'), 0);
        select s into v_slot from generate_series(5, 8) s
         where s not in (select slot from xp.replica_rank_generations
                         union all select spare_slot from xp.replica_rank_generations where spare_slot is not null)
         order by s limit 1;
        if v_slot is null then
            delete from xp.replica_rank_generations
             where (season_id, mode) = (select season_id, mode from xp.replica_rank_generations
                                         where season_id < p_season order by season_id, generated_at limit 1)
            returning * into v_old;
            if v_old is null then
                raise exception 'every replica rank slot is held by a board of season % or later', p_season
                    using errcode = 'XP409', detail = 'xp.rank_slots_exhausted';
            end if;
            v_slot := coalesce(v_old.spare_slot, v_old.slot);
        end if;
    end if;
    v_table := 'rank_slot_' || v_slot;
    execute format('drop table if exists xp.%I', v_table);
    -- the unlogged snapshot as it is (already in board order): no window, sort or join again
    execute format('create table xp.%I as select * from xp.%I', v_table, 'rank_slot_' || v_source.slot);
    get diagnostics v_rows = row_count;
    execute format('create index on xp.%I (neg_xp, reached_at, user_id)', v_table);
    insert into xp.replica_rank_generations as g
        (season_id, mode, generation, slot, spare_slot, generated_at, stale_after, rows)
    values (p_season, p_mode, v_source.generation, v_slot, null, v_source.generated_at, now() + p_stale_after, v_rows)
    on conflict (season_id, mode) do update
        set generation = excluded.generation, spare_slot = g.slot, slot = excluded.slot,
            generated_at = excluded.generated_at, stale_after = excluded.stale_after, rows = excluded.rows;
    return v_rows;
end;
$$;

-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank, generated_at} of a user in a season and mode; rank null without XP this season.
-- The rank comes from the board's latest snapshot (exact as of generated_at): one probe for the
-- last line at or before the user's place by their live score. That line is the user (rank as
-- it stands) or, for a user whose XP moved since, the one just ahead (rank one behind it). Never
-- a count over the board. Without a snapshot (before a board's first, or after its slot went to
-- a later season's board) the rank is counted live on the ranking index.
-- On a streaming replica (pg_is_in_recovery()) the unlogged snapshots cannot be read: the same
-- probe reads the board's logged copy instead (xp.publish_replica_board, same semantics, exact
-- as of its generated_at), or counts live without one. A copy past its stale_after (the
-- publisher stopped) raises 55000 'replicas.stale_rank_snapshot': src/replicas.py then asks the
-- primary, whose snapshot is fresher, and keeps the replica in use for other reads.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language plpgsql
-- volatile: the pointer is read again after the probe with a fresh snapshot (see the loop)
volatile
as $$
declare
    v_xp bigint;
    v_reached timestamptz;
    v_slot integer;
    v_read integer;
    v_generated_at timestamptz;
    v_rank bigint;
    v_ahead uuid;
    v_standby boolean := pg_is_in_recovery();
    v_stale_after timestamptz;
begin
    select xp, reached_at into v_xp, v_reached from xp.season_scores
     where season_id = p_season and mode = p_mode and user_id = p_user_id;
    if coalesce(v_xp, 0) = 0 then
        return jsonb_build_object('xp', 0, 'rank', null);
    end if;
    loop
        if v_standby then
            select slot, stale_after into v_slot, v_stale_after from xp.replica_rank_generations
             where season_id = p_season and mode = p_mode;
            if v_stale_after < now() then
                raise exception 'the replica rank snapshot of %/% is stale since %', p_season, p_mode, v_stale_after
                    using errcode = '55000', detail = 'replicas.stale_rank_snapshot';
            end if;
        else
            select slot into v_slot from xp.rank_generations where season_id = p_season and mode = p_mode;
        end if;
        exit when v_slot is null;
        select w.rank, w.user_id into v_rank, v_ahead from xp.rank_walk(v_slot, -v_xp, v_reached, p_user_id, 1, 0) w;
        -- The probe now holds its slot, so no rebuild can rewrite it before this transaction
        -- ends (on a standby: no replay can drop it): if the board still points there, what
        -- was read is that generation.
        v_read := v_slot;
        if v_standby then
            select slot, generated_at into v_slot, v_generated_at from xp.replica_rank_generations
             where season_id = p_season and mode = p_mode;
        else
            select slot, generated_at into v_slot, v_generated_at from xp.rank_generations
             where season_id = p_season and mode = p_mode;
        end if;
        if v_slot = v_read then
            v_rank := case when v_rank is null then 1 when v_ahead = p_user_id then v_rank else v_rank + 1 end;
            return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at);
        end if;
    end loop;
    -- the lines ahead in seasons.board_ranks' order, on season_scores_rank (tests/sql/test_board_order.py)
    select 1 + count(*) into v_rank from xp.season_scores
     where season_id = p_season and mode = p_mode
       and (xp > v_xp or (xp = v_xp and (reached_at, user_id) < (v_reached, p_user_id)));
    -- on a standby the count is exact as of the last commit it replayed, not its now()
    return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at',
                              case when v_standby then least(now(), coalesce(pg_last_xact_replay_timestamp(), now()))
                                   else now() end);
end;
$$;

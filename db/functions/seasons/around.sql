-- drop: drop function if exists seasons.around(text, text, uuid, integer);
-- The caller's standing and the users around them (p_around above and below), from the board's
-- rank snapshot (exact as of generated_at): two short walks of its index from the caller's
-- place by their live score (xp.rank_walk), names and levels read from the same adjacent
-- snapshot lines. A caller whose XP moved since the snapshot is placed just behind the line
-- ahead of them, and the lines behind them show one rank lower. A closed season answers from
-- its final standings. rank null and no entries without XP this season; without a snapshot
-- (a board's first seconds, or a past season not closed yet), the rank alone
-- (xp.season_standing). On a streaming replica, the board's logged copy instead
-- (xp.publish_replica_board; a stale one raises 55000, see xp.season_standing).
create or replace function seasons.around(p_season text, p_mode text, p_user_id uuid, p_around integer)
returns json
language plpgsql
-- volatile: the board's pointer is read again after the walk with a fresh snapshot (see the
-- loop), as in xp.season_standing
volatile
-- The line statement's custom plans (limits folded in) looked cheaper than its generic plan, so
-- every call re-planned it; one generic plan per session serves every call.
set plan_cache_mode = force_generic_plan
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_season xp.seasons := seasons.resolve(p_season);
    v_around integer := least(greatest(coalesce(p_around, 5), 0), 50);
    v_xp bigint;
    v_reached timestamptz;
    v_slot integer;
    v_read integer;
    v_generated_at timestamptz;
    v_rank bigint;
    v_at_user uuid;
    v_at_level integer;
    v_entries json;
    v_standby boolean := pg_is_in_recovery();
    v_stale_after timestamptz;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode
            using errcode = 'XP404', detail = 'seasons.unknown_board';
    end if;
    select xp, reached_at into v_xp, v_reached from xp.season_scores
     where season_id = v_season.id and mode = p_mode and user_id = p_user_id;
    if coalesce(v_xp, 0) > 0 and v_season.status = 'closed' then
        -- a closed season answers from its final standings, frozen by seasons.close
        select f.rank into v_rank from seasons.final_standings f
         where f.season_id = v_season.id and f.mode = p_mode and f.user_id = p_user_id;
        if v_rank is not null then
            select json_agg(seasons.board_entry(
                       f.rank, u.id, u.username, u.display_name, u.avatar_url, f.xp,
                       case when p_mode = 'reality' then t.reality_level else t.cyber_level end) order by f.rank)
              into v_entries
              from seasons.final_standings f
              join app.users u on u.id = f.user_id
              left join xp.totals t on t.user_id = f.user_id
             where f.season_id = v_season.id and f.mode = p_mode
               and f.rank between v_rank - v_around and v_rank + v_around;
            return json_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_season.closed_at,
                                     'season', seasons.season_json(v_season), 'mode', p_mode, 'entries', v_entries);
        end if;
    end if;
    if coalesce(v_xp, 0) > 0 then
        loop
            -- on a streaming replica, the board's logged copy (as in xp.season_standing)
            if v_standby then
                select slot, stale_after into v_slot, v_stale_after from xp.replica_rank_generations
                 where season_id = v_season.id and mode = p_mode;
                if v_stale_after < now() then
                    raise exception 'the replica rank snapshot of %/% is stale since %', v_season.id, p_mode, v_stale_after
                        using errcode = '55000', detail = 'replicas.stale_rank_snapshot';
                end if;
            else
                select slot into v_slot from xp.rank_generations where season_id = v_season.id and mode = p_mode;
            end if;
            exit when v_slot is null;
            if v_around = 0 then
                -- the caller's own line alone: one probe
                select w.rank, w.user_id, w.level into v_rank, v_at_user, v_at_level
                  from xp.rank_walk(v_slot, -v_xp, v_reached, p_user_id, 1, 0) w;
                v_rank := case when v_rank is null then 1 when v_at_user = p_user_id then v_rank else v_rank + 1 end;
                if v_at_user is distinct from p_user_id then
                    select case when p_mode = 'reality' then t.reality_level else t.cyber_level end into v_at_level
                      from xp.totals t where t.user_id = p_user_id;
                end if;
                select json_build_array(seasons.board_entry(
                           v_rank, u.id, u.username, u.display_name, u.avatar_url, v_xp, v_at_level))
                  into v_entries from app.users u where u.id = p_user_id;
            else
                with walk as (
                    select * from xp.rank_walk(v_slot, -v_xp, v_reached, p_user_id, v_around + 1, v_around)
                ), at as (  -- the line at the caller's place or just ahead of it
                    select w.rank, w.user_id = p_user_id as own, w.level from walk w where w.ahead order by w.rank desc limit 1
                ), me as (
                    select coalesce((select case when at.own then at.rank else at.rank + 1 end from at), 1) as rank,
                           coalesce((select not at.own from at), true) as moved,
                           (select at.level from at where at.own) as level
                ), lines as (
                    (select w.rank, w.user_id, w.username, w.display_name, w.avatar_url, w.xp, w.level
                       from walk w where w.ahead and w.user_id <> p_user_id order by w.rank desc limit v_around)
                    union all
                    select w.rank + me.moved::int, w.user_id, w.username, w.display_name, w.avatar_url, w.xp, w.level
                      from walk w, me where not w.ahead
                    union all
                    select me.rank, u.id, u.username, u.display_name, u.avatar_url, v_xp,
                           coalesce(me.level, (select case when p_mode = 'reality' then t.reality_level else t.cyber_level end
                                                 from xp.totals t where t.user_id = p_user_id))
                      from me, app.users u where u.id = p_user_id
                )
                select (select rank from me),
                       json_agg(seasons.board_entry(l.rank, l.user_id, l.username, l.display_name, l.avatar_url, l.xp, l.level)
                                 order by l.rank)
                  into v_rank, v_entries
                  from lines l;
            end if;
            -- The walk now holds its slot, so no rebuild can rewrite it before this transaction
            -- ends: if the board still points there, what was read is that generation.
            v_read := v_slot;
            if v_standby then
                select slot, generated_at into v_slot, v_generated_at from xp.replica_rank_generations
                 where season_id = v_season.id and mode = p_mode;
            else
                select slot, generated_at into v_slot, v_generated_at from xp.rank_generations
                 where season_id = v_season.id and mode = p_mode;
            end if;
            if v_slot = v_read then
                return json_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at,
                                         'season', seasons.season_json(v_season), 'mode', p_mode,
                                         'entries', coalesce(v_entries, '[]'::json));
            end if;
        end loop;
    end if;
    return (xp.season_standing(v_season.id, p_mode, p_user_id)
        || jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode, 'entries', '[]'::jsonb))::json;
end;
$$;

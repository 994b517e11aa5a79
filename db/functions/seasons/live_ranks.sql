-- drop: drop function if exists seasons.live_ranks(text, text, uuid[]);
-- The ranks of many users on one board's published snapshot, in ONE call: what the live hub of
-- an API process asks after each snapshot (xpcore_ranks NOTIFY) for every user with an open
-- stream. Each rank is seasons.around's with p_around = 0: the user's live score placed on the
-- snapshot by one probe of its index (just behind the line ahead when their XP moved since).
-- Users without XP on the board have no row. No snapshot yet: no rows.
create or replace function seasons.live_ranks(p_season text, p_mode text, p_users uuid[])
returns table (user_id uuid, rank bigint, xp bigint, generation bigint, generated_at timestamptz)
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_slot integer;
    v_generation bigint;
    v_generated_at timestamptz;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode
            using errcode = 'XP404', detail = 'seasons.unknown_board';
    end if;
    select g.slot, g.generation, g.generated_at into v_slot, v_generation, v_generated_at
      from xp.rank_generations g where g.season_id = p_season and g.mode = p_mode;
    if v_slot is null then
        return;
    end if;
    -- the slot table by name: one statement per snapshot for all users, not one per user
    return query execute format(
        'select s.user_id, case when w.user_id = s.user_id then w.rank else coalesce(w.rank, 0) + 1 end,
                s.xp, $3, $4
           from xp.season_scores s
           left join lateral (
               select r.rank, r.user_id from xp.%I r
                where (r.neg_xp, r.reached_at, r.user_id) <= (-s.xp, s.reached_at, s.user_id)
                order by r.neg_xp desc, r.reached_at desc, r.user_id desc limit 1) w on true
          where s.season_id = $1 and s.mode = $2 and s.user_id = any($5) and s.xp > 0',
        'rank_slot_' || v_slot)
    using p_season, p_mode, v_generation, v_generated_at, coalesce(p_users, '{}');
end;
$$;

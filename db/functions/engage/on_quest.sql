-- drop: drop function if exists engage.on_quest(uuid, bigint, text, text, text, numeric, integer, timestamptz, text);
-- The hook xp.book calls for every booked award, once its ledger row is written and before its
-- totals are, under the user's totals lock and in its transaction. Returns the reward XP it
-- booked (xp.book adds it to the totals with the award's own). A user's quests of a period are one engage.quest_progress
-- row (one array element per quest), so an award reads the user's current rows (one index
-- range: periods covering the event, occurred_at p_at, not ended) and writes at most two
-- (daily and weekly), each only if the event moves one of its quests:
-- - an element moves when it is open, the quest's mode and activity (if it names them) are the
--   event's, and its kind's delta is positive; reaching its target completes it (completed_at,
--   event_ids: this event), once: a completed element never moves again;
-- - the new arrays are computed here and written by primary key only if the row still holds
--   the quests it was read with (quest_ids): awards of one user are serialised by the totals
--   lock, and the one other writer, engage.quest_deactivate, changes quest_ids, so a row it
--   changed meanwhile is read again and recomputed, never overwritten;
-- - engage.quest_reward pays each completed quest from what was read (no second read); the
--   XP rows it books are summed and returned.
-- (One UPDATE computing the arrays in SQL measured 2x the CPU: its executor start-up alone,
-- with no row, cost what this read costs; bench/engage_cpu.py.) A period of the pool with no row
-- yet (the first award of a day or a week) is assigned (engage.quest_assign) and counted in a
-- second pass over that period only. Only activity, self-report, bot and challenge awards
-- count: quest rewards (source quest: no cascade), adjustments and purchases do not. An event
-- whose period has ended (a late, back-dated one) counts for no period.
create or replace function engage.on_quest(
    p_user_id uuid, p_event_id bigint, p_source text, p_activity text, p_mode text, p_units numeric,
    p_xp integer, p_at timestamptz, p_season_id text
)
returns integer
language plpgsql
volatile
as $$
declare
    r engage.quest_progress;
    v_rows engage.quest_progress[];
    v record;
    v_i integer;
    v_delta numeric;
    v_moved boolean;
    v_progress numeric[];
    v_done timestamptz[];
    v_events bigint[];
    v_open smallint;
    v_present text[] := '{}';
    v_missing text[];
    v_only text[];
    v_until timestamptz := greatest(p_at, now());
    -- What the event adds to a quest of each kind (total_xp and mode_xp: its XP).
    v_event integer := case when p_activity is not null then 1 else 0 end;
    v_units numeric := coalesce(p_units, 0);
    v_challenge integer := case when p_source = 'challenge' then 1 else 0 end;
    v_xp integer := greatest(p_xp, 0);
    v_reward integer := 0;
begin
    if p_source not in ('activity', 'self_report', 'bot', 'challenge') then
        return 0;
    end if;
    for v_pass in 1..2 loop
        -- the rows in one SELECT INTO (a FOR loop over the query opened a cursor per award)
        select array_agg(s) into v_rows
          from engage.quest_progress s
         where s.user_id = p_user_id and s.expires_at > v_until and s.starts_at <= p_at;
        foreach r in array coalesce(v_rows, '{}') loop
            v_present := v_present || r.period;
            continue when r.open = 0 or (v_only is not null and not r.period = any (v_only));
            v := r;
            <<one_row>>
            loop
                v_moved := false;
                v_progress := v.progress;
                v_done := v.completed_at;
                v_events := v.event_ids;
                v_open := v.open;
                for v_i in 1..cardinality(v.quest_ids) loop
                    continue when v_done[v_i] is not null
                        or (v.modes[v_i] is not null and v.modes[v_i] is distinct from p_mode)
                        or (v.activity_keys[v_i] is not null and v.activity_keys[v_i] is distinct from p_activity);
                    v_delta := case v.kinds[v_i] when 'activity_events' then v_event when 'activity_units' then v_units
                                                 when 'challenges_completed' then v_challenge else v_xp end;
                    continue when v_delta <= 0;
                    v_moved := true;
                    v_progress[v_i] := v_progress[v_i] + v_delta;
                    if v_progress[v_i] >= v.targets[v_i] then
                        v_done[v_i] := now();
                        v_events[v_i] := p_event_id;
                        v_open := v_open - 1;
                    end if;
                end loop;
                exit one_row when not v_moved;
                update engage.quest_progress s
                   set progress = v_progress, completed_at = v_done, event_ids = v_events, open = v_open
                 where s.user_id = p_user_id and s.period_key = v.period_key and s.quest_ids = v.quest_ids;
                if found then
                    for v_i in 1..cardinality(v.quest_ids) loop
                        if v_events[v_i] = p_event_id then
                            v_reward := v_reward + engage.quest_reward(
                                p_user_id, v.quest_ids[v_i], v.period, v.period_key, v.modes[v_i], v.reward_xp[v_i],
                                v.reward_coins[v_i], p_mode, p_at, p_event_id, p_season_id);
                        end if;
                    end loop;
                    exit one_row;
                end if;
                -- quest_deactivate changed the row since it was read: read it again.
                select s.period, s.period_key, s.open, s.quest_ids, s.kinds, s.modes, s.activity_keys, s.targets,
                       s.progress, s.completed_at, s.event_ids, s.reward_xp, s.reward_coins
                  into v from engage.quest_progress s
                 where s.user_id = p_user_id and s.period_key = v.period_key;
                exit one_row when not found;
            end loop;
        end loop;
        -- A period with a row has its quests. One without (with a pool to draw from) is
        -- assigned now and counted in a second pass over it only. Periods are daily and weekly.
        exit when v_pass = 2 or cardinality(v_present) >= 2;
        select array_agg(s.period) into v_missing
          from engage.quest_settings s
         where s.per_user > 0 and not s.period = any (v_present)
           and exists (select from engage.quests q where q.active and q.period = s.period);
        exit when v_missing is null or engage.quest_assign(p_user_id, p_at, v_missing) = 0;
        v_only := v_missing;
        v_present := '{}';
    end loop;
    return v_reward;
end;
$$;

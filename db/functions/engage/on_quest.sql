-- drop: drop function if exists engage.on_quest(uuid, bigint, text, text, text, numeric, integer, timestamptz);
-- The hook xp.book calls for every booked award, right after engage.on_award, under the user's
-- totals lock and in its transaction. One UPDATE moves every open quest of the user whose
-- period covers the event (occurred_at p_at, not ended) and that the event moves (mode,
-- activity, a positive delta), over the one index range quest_assignments_current: a quest the
-- event cannot move is filtered there, never written. (A read and then one update per moved
-- quest cost an award about 4 statements more: bench/README.md.) A quest reaching its target
-- completes once (the update takes open rows only; engage.quest_reward pays it). When a period
-- of the event moved nothing and the pool has quests, a probe says whether that period lacks
-- its quests; they are then assigned (engage.quest_assign) and counted in a second pass over
-- that period only. Only activity, self-report, bot and challenge awards count: quest rewards
-- (source quest: no cascade), adjustments and purchases do not. An event whose period has
-- ended (a late, back-dated one) counts for no period.
create or replace function engage.on_quest(
    p_user_id uuid, p_event_id bigint, p_source text, p_activity text, p_mode text, p_units numeric,
    p_xp integer, p_at timestamptz
)
returns void
language plpgsql
volatile
as $$
declare
    r record;
    v_seen text[] := '{}';
    v_missing text[];
    v_only text[];
    v_until timestamptz := greatest(p_at, now());
    -- What the event adds to a quest of each kind (total_xp and mode_xp: its XP).
    v_event integer := case when p_activity is not null then 1 else 0 end;
    v_units numeric := coalesce(p_units, 0);
    v_challenge integer := case when p_source = 'challenge' then 1 else 0 end;
    v_xp integer := greatest(p_xp, 0);
begin
    if p_source not in ('activity', 'self_report', 'bot', 'challenge') then
        return;
    end if;
    for v_pass in 1..2 loop
        for r in
            update engage.quest_assignments a
               set value = a.value + case a.kind when 'activity_events' then v_event
                                                 when 'activity_units' then v_units
                                                 when 'challenges_completed' then v_challenge else v_xp end,
                   completed_at = case when a.value + case a.kind when 'activity_events' then v_event
                                                                  when 'activity_units' then v_units
                                                                  when 'challenges_completed' then v_challenge
                                                                  else v_xp end >= a.target then now() end,
                   event_id = case when a.value + case a.kind when 'activity_events' then v_event
                                                              when 'activity_units' then v_units
                                                              when 'challenges_completed' then v_challenge
                                                              else v_xp end >= a.target then p_event_id end
             where a.user_id = p_user_id and a.expires_at > v_until and a.starts_at <= p_at
               and (v_only is null or a.period = any (v_only))
               and a.completed_at is null
               and (a.mode is null or a.mode = p_mode)
               and (a.activity_key is null or a.activity_key = p_activity)
               and case a.kind when 'activity_events' then v_event when 'activity_units' then v_units
                               when 'challenges_completed' then v_challenge else v_xp end > 0
            returning a.quest_id, a.period, a.period_key, a.completed_at, a.mode, a.reward_xp, a.reward_coins
        loop
            if not r.period = any (v_seen) then
                v_seen := v_seen || r.period;
            end if;
            if r.completed_at is not null then
                perform engage.quest_reward(p_user_id, r.quest_id, r.period, r.period_key, r.mode, r.reward_xp,
                                            r.reward_coins, p_mode, p_at, p_event_id);
            end if;
        end loop;
        -- A period this award moved has its quests; one it did not may have none yet. Only
        -- then is it probed (with a pool to draw from), assigned, and counted in a second pass
        -- over that period only. Periods are daily and weekly (a check of engage.quests).
        exit when v_pass = 2 or cardinality(v_seen) = 2;
        select array_agg(s.period) into v_missing
          from engage.quest_settings s
         where s.per_user > 0 and not s.period = any (v_seen)
           and exists (select from engage.quests q where q.active and q.period = s.period)
           and not exists (select from engage.quest_assignments a
                            where a.user_id = p_user_id and a.expires_at > v_until and a.starts_at <= p_at
                              and a.period = s.period);
        exit when v_missing is null or engage.quest_assign(p_user_id, p_at, v_missing) = 0;
        v_only := v_missing;
    end loop;
end;
$$;

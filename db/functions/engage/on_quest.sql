-- drop: drop function if exists engage.on_quest(uuid, bigint, text, text, text, numeric, integer, timestamptz);
-- The hook xp.book calls for every booked award, right after engage.on_award, under the user's
-- totals lock and in its transaction. One index probe (quest_assignments_current) reads the
-- user's quests whose period covers the event (occurred_at p_at) and has not ended; a quest the
-- event cannot move is skipped in memory, one it moves is one update. A quest reaching its
-- target completes once (engage.quest_reward pays it). When a period of the event has no
-- quests yet and the pool has some, they are assigned (engage.quest_assign) and counted in a
-- second pass over that period only. Only activity, self-report, bot and challenge awards
-- count: quest rewards (source quest: no cascade), adjustments and purchases do not. An event
-- whose period has ended (a late, back-dated one) counts for no period.
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
    v_delta numeric;
    v_done timestamptz;
begin
    if p_source not in ('activity', 'self_report', 'bot', 'challenge') then
        return;
    end if;
    -- The common case of a product without quests: nothing in the pool to draw and nothing open
    -- to move. Two index probes, not the loop and the draw's query (a third of the hook's cost).
    if not exists (select from engage.quests q where q.active)
       and not exists (select from engage.quest_assignments a
                        where a.user_id = p_user_id and a.expires_at > greatest(p_at, now()) and a.starts_at <= p_at) then
        return;
    end if;
    for v_pass in 1..2 loop
        for r in
            select a.quest_id, a.period, a.period_key, a.kind, a.mode, a.activity_key, a.completed_at
              from engage.quest_assignments a
             where a.user_id = p_user_id and a.expires_at > greatest(p_at, now()) and a.starts_at <= p_at
               and (v_only is null or a.period = any (v_only))
        loop
            if not r.period = any (v_seen) then
                v_seen := v_seen || r.period;
            end if;
            continue when r.completed_at is not null
                or (r.mode is not null and r.mode is distinct from p_mode)
                or (r.activity_key is not null and r.activity_key is distinct from p_activity);
            v_delta := case r.kind
                when 'total_xp' then greatest(p_xp, 0)
                when 'mode_xp' then greatest(p_xp, 0)
                when 'activity_events' then case when p_activity is not null then 1 else 0 end
                when 'activity_units' then coalesce(p_units, 0)
                when 'challenges_completed' then case when p_source = 'challenge' then 1 else 0 end
                else 0 end;
            continue when v_delta <= 0;
            update engage.quest_assignments a
               set value = a.value + v_delta,
                   completed_at = case when a.value + v_delta >= a.target then now() end,
                   event_id = case when a.value + v_delta >= a.target then p_event_id end
             where a.user_id = p_user_id and a.quest_id = r.quest_id and a.period_key = r.period_key
               and a.completed_at is null
            returning a.completed_at into v_done;
            if v_done is not null then
                perform engage.quest_reward(p_user_id, r.quest_id, r.period_key, p_mode, p_at, p_event_id);
            end if;
        end loop;
        exit when v_pass = 2;
        -- A period of this event without quests: assign it, if the pool has any to give.
        select array_agg(s.period) into v_missing
          from engage.quest_settings s
         where s.per_user > 0 and not s.period = any (v_seen)
           and exists (select from engage.quests q where q.active and q.period = s.period);
        exit when v_missing is null or engage.quest_assign(p_user_id, p_at, v_missing) = 0;
        v_only := v_missing;
    end loop;
end;
$$;

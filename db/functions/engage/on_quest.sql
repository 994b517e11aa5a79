-- drop: drop function if exists engage.on_quest(uuid, bigint, text, text, text, numeric, integer, timestamptz);
-- The hook xp.book calls for every booked award, right after engage.on_award, under the user's
-- totals lock and in its transaction. A user's quests of a period are one engage.quest_progress
-- row (one array element per quest), so an award writes at most two rows (daily and weekly),
-- in one statement that also says which periods the user has rows for:
-- - the update moves the elements the event moves (not completed, the quest's mode and
--   activity if it names them, a positive delta for its kind) of the rows whose period covers
--   the event (occurred_at p_at, not ended) and that have an open element the event moves;
--   a row it cannot move is not written. The new arrays are computed from the row itself, so a
--   concurrent quest_deactivate is re-read, not overwritten (read committed re-checks the row);
-- - an element reaching its target completes (completed_at, event_ids: this event), once: a
--   completed element never moves again. engage.quest_reward pays it, from what the update
--   returned (no second read).
-- A period of the pool with no row yet (the first award of a day or a week) is assigned
-- (engage.quest_assign) and counted in a second pass over that period only. Only activity,
-- self-report, bot and challenge awards count: quest rewards (source quest: no cascade),
-- adjustments and purchases do not. An event whose period has ended (a late, back-dated one)
-- counts for no period.
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
    v_i integer;
    v_present text[] := '{}';
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
            with moved as (
                update engage.quest_progress s
                   set (progress, completed_at, event_ids, open) = (
                       select array_agg(x.v + x.d order by x.i),
                              array_agg(case when x.done then now() else x.c end order by x.i),
                              array_agg(case when x.done then p_event_id else x.e end order by x.i),
                              count(*) filter (where x.c is null and not x.done)
                         from (select w.i, w.v, w.c, w.e, w.d, w.d > 0 and w.v + w.d >= w.t as done
                                 from (select u.i, u.v, u.t, u.c, u.e,
                                              case when u.c is null and (u.m is null or u.m = p_mode)
                                                        and (u.a is null or u.a = p_activity)
                                                   then case u.k when 'activity_events' then v_event
                                                                 when 'activity_units' then v_units
                                                                 when 'challenges_completed' then v_challenge
                                                                 else v_xp end
                                                   else 0 end as d
                                         from unnest(s.kinds, s.modes, s.activity_keys, s.targets, s.progress,
                                                     s.completed_at, s.event_ids)
                                              with ordinality as u(k, m, a, t, v, c, e, i)) w) x)
                 where s.user_id = p_user_id and s.expires_at > v_until and s.starts_at <= p_at and s.open > 0
                   and (v_only is null or s.period = any (v_only))
                   and exists (select from unnest(s.kinds, s.modes, s.activity_keys, s.completed_at) as u(k, m, a, c)
                                where u.c is null and (u.m is null or u.m = p_mode)
                                  and (u.a is null or u.a = p_activity)
                                  and case u.k when 'activity_events' then v_event
                                               when 'activity_units' then v_units
                                               when 'challenges_completed' then v_challenge
                                               else v_xp end > 0)
                returning s.period_key, s.quest_ids, s.modes, s.reward_xp, s.reward_coins, s.event_ids
            )
            select c.period, m.period_key, m.quest_ids, m.modes, m.reward_xp, m.reward_coins, m.event_ids
              from engage.quest_progress c
              left join moved m on m.period_key = c.period_key
             where c.user_id = p_user_id and c.expires_at > v_until and c.starts_at <= p_at
        loop
            v_present := v_present || r.period;
            if r.quest_ids is not null and p_event_id = any (r.event_ids) then
                for v_i in 1..cardinality(r.quest_ids) loop
                    if r.event_ids[v_i] = p_event_id then
                        perform engage.quest_reward(p_user_id, r.quest_ids[v_i], r.period, r.period_key,
                                                    r.modes[v_i], r.reward_xp[v_i], r.reward_coins[v_i],
                                                    p_mode, p_at, p_event_id);
                    end if;
                end loop;
            end if;
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
end;
$$;

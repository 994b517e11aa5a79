-- drop: drop function if exists engage.streak_day(uuid, text, date, text);
-- Counts one local day for a user's streak in a mode (the award hook engage.on_streak and the
-- check-in call it; the caller holds the user's totals lock, so one user's days are counted one
-- at a time). Returns whether anything changed. The rules (docs/engagement.md, Streaks):
--   * a day on or before last_day (the last day the run covers, active or frozen) changes
--     nothing: the same day again, or a late event for a day already settled;
--   * the next day extends the run; after a gap, each missed day spends a freeze, and a run
--     with fewer freezes than missed days starts again at 1 (its freezes were spent on the
--     days before it broke: none are left);
--   * every 7th day of a run earns a freeze, 2 at most;
--   * the run's 3rd, 7th, 30th and 100th day notify (outbox kind streak_milestone, once per
--     run: the dedupe key names the run's first day);
--   * a new longest unlocks the tiers of the mode's active `streak` achievements it crossed
--     (longest before < threshold <= longest now); their progress is the streak row itself.
create or replace function engage.streak_day(p_user_id uuid, p_mode text, p_day date, p_tz text)
returns boolean
language plpgsql
volatile
as $$
declare
    s engage.streaks;
    v_gap integer;
    v_longest integer;
    v_hit record;
begin
    select * into s from engage.streaks where user_id = p_user_id and mode = p_mode for update;
    if not found then
        insert into engage.streaks (user_id, mode, current, longest, freezes, last_day, last_active, run_start, tz)
        values (p_user_id, p_mode, 1, 1, 0, p_day, p_day, p_day, p_tz)
        returning * into s;
        v_longest := 0;
    else
        if p_day <= s.last_day then
            return false;
        end if;
        v_longest := s.longest;
        v_gap := p_day - s.last_day - 1;
        if s.current > 0 and v_gap <= s.freezes then
            s.freezes := s.freezes - v_gap;
            s.current := s.current + 1;
        else
            s.freezes := 0;
            s.current := 1;
            s.run_start := p_day;
        end if;
        if s.current % 7 = 0 then
            s.freezes := least(s.freezes + 1, 2);
        end if;
        s.longest := greatest(s.longest, s.current);
        update engage.streaks set
            current = s.current, longest = s.longest, freezes = s.freezes, last_day = p_day,
            last_active = p_day, run_start = s.run_start, tz = p_tz, updated_at = now()
        where user_id = p_user_id and mode = p_mode;
    end if;

    if s.current in (3, 7, 30, 100) then
        perform notify.enqueue(p_user_id, 'streak_milestone',
            format('%s-day %s streak!', s.current, p_mode),
            format('You kept your %s streak %s days in a row.', p_mode, s.current),
            jsonb_build_object('mode', p_mode, 'days', s.current, 'run_start', s.run_start),
            format('streak:%s:%s:%s', p_mode, s.run_start, s.current));
    end if;
    if s.longest > v_longest then
        -- The tiers the new longest crossed (engage.streaks is the progress: no row per achievement).
        for v_hit in
            select e as a, t.tier, t.name from engage.achievements e
              join engage.tiers t on t.achievement_id = e.id and t.threshold > v_longest and t.threshold <= s.longest
             where e.active and e.kind = 'streak' and e.mode = p_mode
             order by e.id, t.tier
        loop
            perform engage.unlock(p_user_id, v_hit.a, v_hit.tier, null, v_hit.name);
        end loop;
    end if;
    return true;
end;
$$;

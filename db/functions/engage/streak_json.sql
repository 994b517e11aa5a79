-- drop: drop function if exists engage.streak_json(text, engage.streaks, date);
-- One mode's streak as the API shows it (answer Streak), on the user's local day p_today, as the
-- close job will leave it: days missed since last_day (before today) spend freezes, or end the
-- run (current 0), even if the job has not settled them yet. s may be null (no streak yet).
-- today_done: today already counts. at_risk: a live run that today's end would break (not
-- done today, and no freeze left to cover it).
create or replace function engage.streak_json(p_mode text, s engage.streaks, p_today date)
returns jsonb
language sql
immutable
as $$
    with v as (
        select greatest(p_today - 1 - s.last_day, 0) as missed, coalesce(s.current, 0) as current,
               coalesce(s.freezes, 0) as freezes, s.last_active
    ), e as (
        select case when v.current > 0 and v.missed <= v.freezes then v.current else 0 end as current,
               case when v.current > 0 and v.missed <= v.freezes then v.freezes - v.missed else 0 end as freezes,
               coalesce(v.last_active >= p_today, false) as today_done
          from v
    )
    select jsonb_build_object(
        'mode', p_mode,
        'current', e.current,
        'longest', coalesce(s.longest, 0),
        'freezes', e.freezes,
        'freezes_max', 2,
        'last_day', s.last_active,
        'today_done', e.today_done,
        'at_risk', e.current > 0 and not e.today_done and e.freezes = 0)
    from e;
$$;

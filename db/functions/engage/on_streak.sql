-- drop: drop function if exists engage.on_streak(uuid, text, text, timestamptz);
-- The streak hook xp.book calls for every booked award, under the user's totals lock. A
-- qualifying event is an award in a mode from the user's activity: sources activity,
-- self_report, bot and challenge (not quest: a quest's pay is not a day's activity; not
-- adjustment or purchase: an operator's correction is not the user's). Its day is the local
-- date of occurred_at (never later than now) in the user's time zone. The common path, a day
-- the streak already covers, is one read and no write; anything else is engage.streak_day.
create or replace function engage.on_streak(p_user_id uuid, p_mode text, p_source text, p_at timestamptz)
returns void
language plpgsql
volatile
as $$
declare
    v_tz text;
    v_last date;
    v_day date;
begin
    if p_mode is null or p_source not in ('activity', 'self_report', 'bot', 'challenge') then
        return;
    end if;
    select u.timezone, s.last_day into v_tz, v_last
      from app.users u
      left join engage.streaks s on s.user_id = u.id and s.mode = p_mode
     where u.id = p_user_id;
    v_day := (least(p_at, now()) at time zone v_tz)::date;
    if v_day <= v_last then
        return;
    end if;
    perform engage.streak_day(p_user_id, p_mode, v_day, v_tz);
end;
$$;

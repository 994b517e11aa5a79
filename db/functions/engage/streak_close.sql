-- drop: drop function if exists engage.streak_close(text, date, integer);
-- One batch of closing the local day p_day in time zone p_tz (worker only): the next p_limit
-- live streaks settled in that zone whose last day is before p_day missed every day after it up
-- to p_day; each missed day spends a freeze, and a run with too few ends (current 0, no freeze
-- left, longest kept). A settled row no longer matches (its last day is p_day, or it is not
-- live), so batches need no cursor and a stopped run resumes where it was. Returns the streaks
-- settled; 0 once the day is done, when its engage.streak_closes row is closed, and from then
-- on (a day closes once). A row an award is counting is locked; the update waits for it and
-- re-reads it, so a day counted meanwhile is not taken for a missed one.
create or replace function engage.streak_close(p_tz text, p_day date, p_limit integer default 1000)
returns integer
language plpgsql
volatile
as $$
declare
    v_close engage.streak_closes;
    v_done integer;
begin
    if p_day >= (now() at time zone p_tz)::date then
        raise exception 'day % has not ended in %', p_day, p_tz;
    end if;
    insert into engage.streak_closes (tz, day) values (p_tz, p_day) on conflict do nothing;
    select * into v_close from engage.streak_closes where tz = p_tz and day = p_day for update;
    if v_close.closed_at is not null then
        return 0;
    end if;
    loop
        with due as (
            select s.user_id, s.mode from engage.streaks s
             where s.tz = p_tz and s.current > 0 and s.last_day < p_day
             order by s.last_day, s.user_id, s.mode
             limit p_limit
               for update
        )
        update engage.streaks s set
            freezes = case when s.freezes >= p_day - s.last_day then s.freezes - (p_day - s.last_day) else 0 end,
            current = case when s.freezes >= p_day - s.last_day then s.current else 0 end,
            last_day = case when s.freezes >= p_day - s.last_day then p_day else s.last_day end,
            updated_at = now()
          from due
         where s.user_id = due.user_id and s.mode = due.mode
           and s.current > 0 and s.last_day < p_day;
        get diagnostics v_done = row_count;
        -- 0 settled while some still match: every row of the batch was counted meanwhile; retry.
        exit when v_done > 0 or not exists (
            select from engage.streaks s where s.tz = p_tz and s.current > 0 and s.last_day < p_day);
    end loop;
    if v_done = 0 then
        update engage.streak_closes set closed_at = now() where tz = p_tz and day = p_day;
    else
        update engage.streak_closes set streaks = streaks + v_done where tz = p_tz and day = p_day;
    end if;
    return v_done;
end;
$$;

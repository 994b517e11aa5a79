-- drop: drop function if exists engage.streak_check_in(uuid, text);
-- POST /users/me/streaks/{mode}/check-in (answer StreakCheckIn): today, in the user's time zone,
-- counts for the mode's streak, with no XP, for apps that have no activities to award. Once per
-- day: again the same day, `counted` is false and nothing changes. It takes the user's totals
-- lock first, as xp.book does, so a check-in and an award for one user count their days one at
-- a time.
create or replace function engage.streak_check_in(p_user_id uuid, p_mode text)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tz text;
    v_today date;
    v_counted boolean;
begin
    if p_mode is null or p_mode not in ('reality', 'cyber') then
        raise exception 'no mode %: reality or cyber', p_mode using errcode = 'XP404', detail = 'engage.unknown_mode';
    end if;
    select timezone into v_tz from app.users where id = p_user_id and deleted_at is null;
    if not found then
        raise exception 'no user %', p_user_id using errcode = 'XP404', detail = 'users.unknown_user';
    end if;
    perform from xp.totals where user_id = p_user_id for update;
    if not found then
        insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;
        perform from xp.totals where user_id = p_user_id for update;
    end if;
    v_today := (now() at time zone v_tz)::date;
    v_counted := engage.streak_day(p_user_id, p_mode, v_today, v_tz);
    return jsonb_build_object(
        'counted', v_counted,
        'streak', engage.streak_json(p_mode,
            (select s from engage.streaks s where s.user_id = p_user_id and s.mode = p_mode), v_today));
end;
$$;

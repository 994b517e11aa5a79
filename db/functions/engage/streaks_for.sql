-- drop: drop function if exists engage.streaks_for(uuid);
-- GET /users/me/streaks (answer StreakSet): the user's time zone, local date, and each mode's
-- streak (engage.streak_json), reality then cyber, zeros where none was started. Null for an
-- unknown or deleted user.
create or replace function engage.streaks_for(p_user_id uuid)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select jsonb_build_object(
        'timezone', u.timezone,
        'today', (now() at time zone u.timezone)::date,
        'streaks', (select jsonb_agg(engage.streak_json(m.mode, s, (now() at time zone u.timezone)::date) order by m.n)
                      from unnest(array['reality', 'cyber']) with ordinality m(mode, n)
                      left join engage.streaks s on s.user_id = u.id and s.mode = m.mode))
    from app.users u
    where u.id = p_user_id and u.deleted_at is null;
$$;

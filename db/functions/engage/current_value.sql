-- drop: drop function if exists engage.current_value(uuid, engage.achievements);
-- A user's progress on an achievement as the hooks keep it: the totals kinds read xp.totals,
-- streaks the longest run of engage.streaks,
-- the activity kinds the user's engage.counters row for the activity, the others their
-- engage.progress row (0 when there is none). What GET /users/me/achievements shows.
create or replace function engage.current_value(p_user_id uuid, a engage.achievements)
returns numeric
language sql
stable
as $$
    select case
        when a.kind in ('total_xp', 'level', 'mode_xp', 'layer', 'streak') then engage.value_for(p_user_id, a)
        when a.kind = 'activity_events' then coalesce((select c.events from engage.counters c
                                                        where c.user_id = p_user_id and c.activity_key = a.activity_key), 0)
        when a.kind = 'activity_units' then coalesce((select c.units from engage.counters c
                                                       where c.user_id = p_user_id and c.activity_key = a.activity_key), 0)
        else coalesce((select p.value from engage.progress p where p.user_id = p_user_id and p.achievement_id = a.id), 0)
    end;
$$;

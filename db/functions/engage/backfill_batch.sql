-- drop: drop function if exists engage.backfill_batch(text, integer);
-- One batch of an achievement's back-fill (worker only): the next p_limit users after the saved
-- cursor, in id order, get the progress their ledger, totals, challenges, purchases and final
-- standings imply, and unlock what it reaches (notification and coins once, as ever): an
-- activity rule sets the user's engage.counters row of the activity from the ledger, a totals
-- or streak rule reads xp.totals or engage.streaks, the other kinds set their engage.progress row. Each user's
-- totals row is locked first, as xp.book locks it, so an award in flight is either counted here
-- or adds itself after. The cursor is saved in the same transaction: a job that stops resumes.
-- Returns the users done in this batch; 0 when the back-fill is finished (or there is none).
create or replace function engage.backfill_batch(p_key text, p_limit integer default 500)
returns integer
language plpgsql
volatile
as $$
declare
    a engage.achievements;
    v_fill engage.backfills;
    v_user uuid;
    v_value numeric;
    v_done integer := 0;
    v_last uuid;
begin
    select * into a from engage.achievements where key = p_key;
    if not found then
        raise exception 'no achievement %', p_key using errcode = 'XP404', detail = 'engage.unknown_achievement';
    end if;
    select * into v_fill from engage.backfills where achievement_id = a.id for update;
    if not found or v_fill.done_at is not null or not a.active then
        return 0;
    end if;
    for v_user in
        select u.id from app.users u
         where u.deleted_at is null and (v_fill.after_user is null or u.id > v_fill.after_user)
         order by u.id limit p_limit
    loop
        perform from xp.totals where user_id = v_user for update;
        if a.kind in ('activity_events', 'activity_units') then
            -- The activity's counter, as the ledger says (exact for every achievement on it).
            insert into engage.counters as c (user_id, activity_key, events, units)
            select v_user, a.activity_key, count(*), coalesce(sum(l.units), 0)
              from xp.ledger l where l.user_id = v_user and l.activity_key = a.activity_key
            having count(*) > 0
            on conflict (user_id, activity_key) do update
                set events = excluded.events, units = excluded.units, updated_at = now();
            perform engage.reach(v_user, a, engage.current_value(v_user, a));
        elsif a.kind in ('total_xp', 'mode_xp', 'level', 'layer', 'streak') then
            perform engage.reach(v_user, a, engage.value_for(v_user, a));
        else
            v_value := engage.value_for(v_user, a);
            if v_value is not null and (v_value <> 0 or exists (
                    select from engage.progress where user_id = v_user and achievement_id = a.id)) then
                perform engage.advance(v_user, a, v_value, 'set');
            end if;
        end if;
        v_done := v_done + 1;
        v_last := v_user;
    end loop;
    if v_done = 0 then
        update engage.backfills set done_at = now() where achievement_id = a.id;
    else
        update engage.backfills set after_user = v_last, users_done = users_done + v_done where achievement_id = a.id;
    end if;
    return v_done;
end;
$$;

-- drop: drop function if exists engage.quest_deactivate(text);
-- DELETE /admin/quests/{key}: retires a quest. It is drawn no more, and its open (not
-- completed) elements of periods not yet ended leave their engage.quest_progress rows (a row
-- left with none goes): it is offered to nobody from now on. Completed ones stay (history,
-- analytics.quest_completion). The new arrays are computed from each row in the statement, so
-- an award moving the same row meanwhile is re-read, not overwritten. Null when there is none
-- by that key. Reads the whole table (a rare operator action).
create or replace function engage.quest_deactivate(p_key text)
returns text
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    q engage.quests;
begin
    update engage.quests set active = false, updated_at = now() where key = p_key returning * into q;
    if not found then
        return null;
    end if;
    update engage.quest_progress s
       set (quest_ids, kinds, modes, activity_keys, targets, reward_xp, reward_coins, progress, completed_at, event_ids) = (
           select array_agg(u.id order by u.i), array_agg(u.k order by u.i), array_agg(u.m order by u.i),
                  array_agg(u.a order by u.i), array_agg(u.t order by u.i), array_agg(u.rx order by u.i),
                  array_agg(u.rc order by u.i), array_agg(u.v order by u.i), array_agg(u.c order by u.i),
                  array_agg(u.e order by u.i)
             from unnest(s.quest_ids, s.kinds, s.modes, s.activity_keys, s.targets, s.reward_xp, s.reward_coins,
                         s.progress, s.completed_at, s.event_ids)
                  with ordinality as u(id, k, m, a, t, rx, rc, v, c, e, i)
            where not (u.id = q.id and u.c is null)),
           open = open - 1
     where q.id = any (s.quest_ids) and s.expires_at > now()
       and s.completed_at[array_position(s.quest_ids, q.id)] is null
       and cardinality(s.quest_ids) > 1;
    delete from engage.quest_progress s
     where s.quest_ids = array[q.id] and s.completed_at[1] is null and s.expires_at > now();
    return q.key;
end;
$$;

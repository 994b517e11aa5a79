-- drop: drop function if exists engage.quest_deactivate(text);
-- DELETE /admin/quests/{key}: retires a quest. It is drawn no more, and the open (not
-- completed) assignments of periods not yet ended go: it is offered to nobody from now on.
-- Completed ones stay (history, analytics.quest_completion). Null when there is none by that key.
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
    delete from engage.quest_assignments a
     where a.quest_id = q.id and a.completed_at is null and a.expires_at > now();
    return q.key;
end;
$$;

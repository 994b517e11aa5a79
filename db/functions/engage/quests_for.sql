-- drop: drop function if exists engage.quests_for(uuid);
-- GET /users/me/quests: the caller's quests of the current daily and weekly period (in their
-- time zone), assigned now if this is the first the period sees of them (under the totals lock
-- xp.book takes first, so an award in flight assigns the same set, once). Each with its goal,
-- progress, percent, completed and expires_at (the period's local midnight). Quests of ended
-- periods are not offered. XP404 for an unknown or deleted user.
create or replace function engage.quests_for(p_user_id uuid)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tz text;
    v_now timestamptz := now();
    v_missing text[];
begin
    select u.timezone into v_tz from app.users u where u.id = p_user_id and u.deleted_at is null;
    if not found then
        raise exception 'no user %', p_user_id using errcode = 'XP404', detail = 'users.unknown_user';
    end if;
    select array_agg(s.period) into v_missing
      from engage.quest_settings s
     where s.per_user > 0
       and exists (select from engage.quests q where q.active and q.period = s.period)
       and not exists (select from engage.quest_progress a
                        where a.user_id = p_user_id and a.period = s.period
                          and a.expires_at > v_now and a.starts_at <= v_now);
    if v_missing is not null then
        perform from xp.totals t where t.user_id = p_user_id for update;
        if not found then
            insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;
            perform from xp.totals t where t.user_id = p_user_id for update;
        end if;
        perform engage.quest_assign(p_user_id, v_now, v_missing);
    end if;
    return (
        with items as (
            select a.period, a.completed_at, q.key,
                   jsonb_build_object(
                       'key', q.key, 'name', q.name, 'description', q.description, 'icon', q.icon,
                       'period', a.period, 'period_key', a.period_key, 'mode', a.mode,
                       'goal', jsonb_build_object(
                           'kind', a.kind,
                           'params', case when a.activity_key is null then '{}'::jsonb
                                          else jsonb_build_object('activity', a.activity_key) end,
                           'target', a.target),
                       'progress', a.value,
                       'percent', case when a.completed_at is not null then 100
                                       else least(99, floor(100 * a.value / a.target))::int end,
                       'completed', a.completed_at is not null, 'completed_at', a.completed_at,
                       'reward_xp', a.reward_xp, 'reward_coins', a.reward_coins,
                       'starts_at', a.starts_at, 'expires_at', a.expires_at) as item
              from engage.quest_assignments a
              join engage.quests q on q.id = a.quest_id
             where a.user_id = p_user_id and a.expires_at > v_now and a.starts_at <= v_now
        )
        select jsonb_build_object(
            'timezone', v_tz,
            'daily', coalesce((select jsonb_agg(i.item order by i.completed_at is not null, i.key)
                                 from items i where i.period = 'daily'), '[]'::jsonb),
            'weekly', coalesce((select jsonb_agg(i.item order by i.completed_at is not null, i.key)
                                  from items i where i.period = 'weekly'), '[]'::jsonb)));
end;
$$;

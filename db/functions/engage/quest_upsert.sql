-- drop: drop function if exists engage.quest_upsert(jsonb);
-- POST /admin/quests: creates or replaces a quest of the pool by key. The goal is checked here:
-- a kind of docs/engagement.md (Quests), only the params it takes (`activity` for the activity
-- kinds: required for activity_units, optional for activity_events, where none counts any
-- activity), an active activity of the quest's mode, a mode for mode_xp, a positive target.
-- Assignments already made keep the goal and reward they were made with: an edit applies from
-- the next period.
create or replace function engage.quest_upsert(p jsonb)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_kind text := p #>> '{goal,kind}';
    v_params jsonb := coalesce(p #> '{goal,params}', '{}'::jsonb);
    v_target jsonb := p #> '{goal,target}';
    v_mode text := p ->> 'mode';
    v_new engage.quests;
begin
    if v_kind is null or v_kind not in ('total_xp', 'mode_xp', 'activity_events', 'activity_units', 'challenges_completed') then
        raise exception 'unknown goal kind %', v_kind using errcode = 'XP422', detail = 'engage.invalid_quest';
    end if;
    if jsonb_typeof(v_params) <> 'object' or exists (
        select from jsonb_object_keys(v_params) k
         where k <> 'activity' or v_kind not in ('activity_events', 'activity_units')) then
        raise exception 'goal % takes no params but activity (activity kinds only)', v_kind
            using errcode = 'XP422', detail = 'engage.invalid_quest';
    end if;
    if (v_kind = 'activity_units' or v_params ? 'activity') and not exists (
        select from xp.activity_types t where t.key = v_params ->> 'activity' and t.active
          and (v_mode is null or t.mode = v_mode)) then
        raise exception 'goal % needs params.activity, an active activity of its mode', v_kind
            using errcode = 'XP422', detail = 'engage.invalid_quest';
    end if;
    if v_kind = 'mode_xp' and v_mode is null then
        raise exception 'goal mode_xp needs a mode' using errcode = 'XP422', detail = 'engage.invalid_quest';
    end if;
    if v_target is null or jsonb_typeof(v_target) <> 'number' or (v_target #>> '{}')::numeric <= 0
       or (v_target #>> '{}')::numeric > 1000000000 then
        raise exception 'goal.target must be a positive number' using errcode = 'XP422', detail = 'engage.invalid_quest';
    end if;
    if coalesce(p ->> 'period', '') not in ('daily', 'weekly') then
        raise exception 'period must be daily or weekly' using errcode = 'XP422', detail = 'engage.invalid_quest';
    end if;
    if v_mode is not null and v_mode not in ('reality', 'cyber') then
        raise exception 'mode must be reality or cyber' using errcode = 'XP422', detail = 'engage.invalid_quest';
    end if;
    insert into engage.quests as q (key, name, description, icon, period, mode, kind, params, target,
                                    reward_xp, reward_coins, weight, active)
    values (p ->> 'key', p ->> 'name', coalesce(p ->> 'description', ''), p ->> 'icon', p ->> 'period', v_mode,
            v_kind, v_params, (v_target #>> '{}')::numeric,
            coalesce((p ->> 'reward_xp')::integer, 0), coalesce((p ->> 'reward_coins')::integer, 0),
            coalesce((p ->> 'weight')::numeric, 1), coalesce((p ->> 'active')::boolean, true))
    on conflict (key) do update set
        name = excluded.name, description = excluded.description, icon = excluded.icon, period = excluded.period,
        mode = excluded.mode, kind = excluded.kind, params = excluded.params, target = excluded.target,
        reward_xp = excluded.reward_xp, reward_coins = excluded.reward_coins, weight = excluded.weight,
        active = excluded.active, updated_at = now()
    returning * into v_new;
    return engage.quest_json(v_new);
end;
$$;

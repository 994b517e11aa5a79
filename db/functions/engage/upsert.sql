-- drop: drop function if exists engage.upsert(jsonb);
-- POST /admin/achievements: creates or replaces an achievement by key, its tiers included
-- (progress and unlocks are kept). The rule is checked here, where it is evaluated: the kind's
-- params (docs/engagement.md), a mode where the kind needs one, an active activity for the
-- activity kinds, 1 to 10 tiers with rising thresholds (falling for season_rank, a rank). A new
-- achievement, a changed rule or tiers, or one turned active again, (re)starts its back-fill
-- (engage.backfill_batch, run by the worker), so users who already qualify unlock it (awards
-- only unlock the tiers they cross) and its activity's counters count what the ledger holds.
create or replace function engage.upsert(p jsonb)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_kind text := p #>> '{rule,kind}';
    v_params jsonb := coalesce(p #> '{rule,params}', '{}'::jsonb);
    v_mode text := p ->> 'mode';
    v_tiers jsonb := coalesce(p -> 'tiers', '[]'::jsonb);
    v_allowed text[];
    v_old engage.achievements;
    v_new engage.achievements;
    v_old_tiers jsonb;
    v_count integer;
begin
    v_allowed := case v_kind
        when 'activity_events' then array['activity'] when 'activity_units' then array['activity']
        when 'challenge_stars' then array['stars']
        when 'total_xp' then array[]::text[] when 'mode_xp' then array[]::text[] when 'level' then array[]::text[]
        when 'layer' then array[]::text[] when 'challenges_completed' then array[]::text[]
        when 'season_rank' then array[]::text[] when 'purchases' then array[]::text[]
        when 'streak' then array[]::text[] end;
    if v_allowed is null then
        raise exception 'unknown rule kind %', v_kind using errcode = 'XP422', detail = 'engage.invalid_rule';
    end if;
    if jsonb_typeof(v_params) <> 'object' or exists (select from jsonb_object_keys(v_params) k where k <> all (v_allowed)) then
        raise exception 'rule % takes params %', v_kind, v_allowed using errcode = 'XP422', detail = 'engage.invalid_rule';
    end if;
    if v_kind in ('activity_events', 'activity_units') and not exists (
        select from xp.activity_types t where t.key = v_params ->> 'activity' and t.active
          and (v_mode is null or t.mode = v_mode)) then
        raise exception 'rule % needs params.activity, an active activity of its mode', v_kind
            using errcode = 'XP422', detail = 'engage.invalid_rule';
    end if;
    if v_kind = 'challenge_stars' and coalesce(v_params ->> 'stars', '3') not in ('1', '2', '3') then
        raise exception 'params.stars must be 1, 2 or 3' using errcode = 'XP422', detail = 'engage.invalid_rule';
    end if;
    if v_kind in ('mode_xp', 'layer', 'season_rank', 'streak') and v_mode is null then
        raise exception 'rule % needs a mode', v_kind using errcode = 'XP422', detail = 'engage.invalid_rule';
    end if;
    if jsonb_typeof(v_tiers) <> 'array' or jsonb_array_length(v_tiers) not between 1 and 10
       or exists (select from jsonb_array_elements(v_tiers) e
                   where jsonb_typeof(e -> 'threshold') <> 'number' or (e ->> 'threshold')::numeric <= 0
                      or coalesce(char_length(e ->> 'name'), 0) not between 1 and 30)
       or exists (select from (select (e ->> 'threshold')::numeric as t,
                                      lag((e ->> 'threshold')::numeric) over (order by n) as before
                                 from jsonb_array_elements(v_tiers) with ordinality x(e, n)) s
                   where s.before is not null
                     and case when v_kind = 'season_rank' then s.t >= s.before else s.t <= s.before end) then
        raise exception 'tiers: 1 to 10, each a name (1 to 30 characters) and a positive threshold, rising (falling for season_rank)'
            using errcode = 'XP422', detail = 'engage.invalid_tiers';
    end if;

    select * into v_old from engage.achievements where key = p ->> 'key' for update;
    if found then
        v_old_tiers := engage.achievement_json(v_old) -> 'tiers';
    end if;
    insert into engage.achievements as a (key, name, description, icon, mode, hidden, reward_coins, active, kind, params)
    values (p ->> 'key', p ->> 'name', coalesce(p ->> 'description', ''), p ->> 'icon', v_mode,
            coalesce((p ->> 'hidden')::boolean, false), coalesce((p ->> 'reward_coins')::integer, 0),
            coalesce((p ->> 'active')::boolean, true), v_kind, v_params)
    on conflict (key) do update set
        name = excluded.name, description = excluded.description, icon = excluded.icon, mode = excluded.mode,
        hidden = excluded.hidden, reward_coins = excluded.reward_coins, active = excluded.active,
        kind = excluded.kind, params = excluded.params, updated_at = now()
    returning * into v_new;

    v_count := jsonb_array_length(v_tiers);
    delete from engage.tiers where achievement_id = v_new.id and tier > v_count;
    insert into engage.tiers as t (achievement_id, tier, name, threshold)
    select v_new.id, n, e ->> 'name', (e ->> 'threshold')::numeric
      from jsonb_array_elements(v_tiers) with ordinality x(e, n)
    on conflict (achievement_id, tier) do update set name = excluded.name, threshold = excluded.threshold;

    if v_old.id is null or v_old.kind <> v_new.kind or v_old.params <> v_new.params
       or (v_new.active and not v_old.active)
       or v_old.mode is distinct from v_new.mode
       or (select jsonb_agg(jsonb_build_object('tier', x.tier, 'threshold', x.threshold) order by x.tier)
             from engage.tiers x where x.achievement_id = v_new.id)
          is distinct from (select jsonb_agg(jsonb_build_object('tier', (e ->> 'tier')::int, 'threshold', (e ->> 'threshold')::numeric)
                                             order by (e ->> 'tier')::int)
                              from jsonb_array_elements(v_old_tiers) e) then
        insert into engage.backfills (achievement_id) values (v_new.id)
        on conflict (achievement_id) do update set after_user = null, users_done = 0, started_at = now(), done_at = null;
    end if;
    return engage.achievement_json(v_new);
end;
$$;

-- drop: drop function if exists xp.book(uuid, text, text, timestamptz, jsonb, text, integer, text, numeric, numeric, numeric, text, bytea);
-- Books one award, exactly once per (source, scope, idempotency key): the core that xp.award,
-- xp.award_fixed and xp.adjust share, flattened into one function because it is the hot path
-- (every nested SQL-language call was planned afresh per call; plpgsql caches its plans).
-- Steps, in one transaction: checks; lock the user's totals row (always first, so two awards
-- for one user queue instead of deadlocking); a used key answers its original result
-- (replayed = true); the daily cap in units (activities: p_units x p_xp_per_unit, capped at
-- p_cap units per user, activity and UTC day); the ledger row; the quest hook, whose completed
-- quests' rewards are ledger rows of their own (xp.book_reward) whose XP this booking carries;
-- totals with levels and layers; the season score of the mode; the achievement and streak
-- hooks; level-up and layer-up rows in the outbox; the stored answer. The answer gives the
-- totals after the award's own XP (a reward is its own event, as it was when booked apart).
-- Keyed by user throughout: O(1) whatever the ledger size.
-- p_scope namespaces the key (stored as `scope:key`; the 200-character limit is the caller's
-- key's). p_fingerprint identifies the request (xp.award); a used key answers its original
-- result only for the same fingerprint, else XP409. Rows without one (fixed awards,
-- adjustments, awards booked before 0017) replay as before.
create or replace function xp.book(
    p_user_id uuid, p_source text, p_key text, p_at timestamptz, p_metadata jsonb, p_mode text, p_xp integer,
    p_activity text default null, p_units numeric default null, p_xp_per_unit numeric default null,
    p_cap numeric default null, p_scope text default null, p_fingerprint bytea default null
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_before xp.totals;
    v_after xp.totals;
    v_done xp.idempotency;
    v_season xp.seasons;
    v_xp integer := p_xp;
    v_units numeric := p_units;
    v_used numeric;
    v_day date;
    v_mode_level integer;
    v_old_layer text;
    v_event_id bigint;
    v_season_xp bigint := 0;
    v_reward integer := 0;
    v_gain integer;
    v_add integer;
    v_answer xp.totals;
    v_result jsonb;
    v_key text;
begin
    if p_key is null or char_length(p_key) not between 1 and 200 then
        raise exception 'idempotency_key must be 1 to 200 characters'
            using errcode = 'XP422', detail = 'xp.invalid_idempotency_key';
    end if;
    v_key := case when p_scope is null then p_key else p_scope || ':' || p_key end;
    if p_at > now() + interval '5 minutes' then
        raise exception 'occurred_at is in the future' using errcode = 'XP422', detail = 'xp.occurred_in_future';
    end if;
    if p_at < now() - interval '31 days' then
        raise exception 'occurred_at is more than 31 days ago'
            using errcode = 'XP422', detail = 'xp.occurred_too_long_ago';
    end if;
    perform from app.users where id = p_user_id and deleted_at is null;
    if not found then
        raise exception 'no user %', p_user_id using errcode = 'XP404', detail = 'users.unknown_user';
    end if;

    select * into v_before from xp.totals where user_id = p_user_id for update;
    if not found then
        insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;
        select * into v_before from xp.totals where user_id = p_user_id for update;
    end if;
    -- Under the lock no other award for this user can book the key; the primary key refuses
    -- the same key for another user.
    select * into v_done from xp.idempotency where source = p_source and idempotency_key = v_key;
    if found then
        if v_done.user_id <> p_user_id then
            raise exception 'idempotency key % was already used for another user', p_key
                using errcode = 'XP409', detail = 'request.idempotency_key_reused';
        end if;
        if v_done.request_hash is distinct from p_fingerprint and v_done.request_hash is not null then
            raise exception 'idempotency key % was already used for a different request', p_key
                using errcode = 'XP409', detail = 'request.idempotency_key_reused';
        end if;
        return v_done.result || '{"replayed": true}'::jsonb;
    end if;

    select * into v_season from xp.seasons where id = to_char(p_at at time zone 'UTC', 'YYYY-MM');
    if not found then
        v_season := xp.season_for(p_at);
    end if;
    -- an ended season whose close has begun (leagues.close_batch) is frozen as well: its final
    -- standings and league results are being written from its scores (no probe for a season
    -- that has not ended, the usual award)
    if v_season.status = 'closed'
       or (v_season.ends_at <= now()
           and (exists (select from leagues.closing c where c.season_id = v_season.id)
                or exists (select from leagues.closes c where c.season_id = v_season.id))) then
        raise exception 'season % is closed; XP can no longer count toward it', v_season.id
            using errcode = 'XP422', detail = 'seasons.closed';
    end if;

    if p_cap is not null then
        v_day := (p_at at time zone 'UTC')::date;
        select units into v_used from xp.daily_usage
         where user_id = p_user_id and activity_key = p_activity and day = v_day;
        v_units := least(p_units, greatest(p_cap - coalesce(v_used, 0), 0));
        insert into xp.daily_usage as d (user_id, activity_key, day, units)
        values (p_user_id, p_activity, v_day, v_units)
        on conflict (user_id, activity_key, day) do update set units = d.units + excluded.units;
    end if;
    if p_xp_per_unit is not null then
        v_xp := floor(v_units * p_xp_per_unit)::integer;
    end if;

    insert into xp.ledger (user_id, activity_key, source, mode, units, xp, idempotency_key, occurred_at, metadata, season_id)
    values (p_user_id, p_activity, p_source, p_mode, v_units, v_xp, v_key, p_at,
            coalesce(p_metadata, '{}'::jsonb) || case when v_units < p_units
                then jsonb_build_object('requested_units', p_units) else '{}'::jsonb end,
            v_season.id)
    returning id into v_event_id;
    -- Quests first: a reward they book (in the event's mode and season) is added below with the
    -- award's XP, so the totals, the season score and the achievement probe run once.
    v_reward := engage.on_quest(p_user_id, v_event_id, p_source, p_activity, p_mode, v_units, v_xp, p_at, v_season.id);
    v_gain := v_xp + v_reward;

    -- Two passes only with a quest reward: the first adds the award's own XP (the totals the award
    -- answers), the second the reward; each finds the levels and layers of what it reached.
    v_after := v_before;
    v_add := v_xp;
    for v_pass in 1..2 loop
        v_after.total_xp := v_after.total_xp + v_add;
        if p_mode = 'reality' then
            v_after.reality_xp := v_after.reality_xp + v_add;
        elsif p_mode = 'cyber' then
            v_after.cyber_xp := v_after.cyber_xp + v_add;
        end if;
        if v_after.total_xp < 0 or v_after.reality_xp < 0 or v_after.cyber_xp < 0 then
            raise exception 'this adjustment would make XP negative'
                using errcode = 'XP422', detail = 'xp.would_go_negative';
        end if;
        -- The total's level and the mode's level: one statement, two probes of the curve's index.
        select coalesce((select c.level from xp.level_curve c where c.xp_required <= v_after.total_xp
                         order by c.xp_required desc limit 1), 1),
               coalesce((select c.level from xp.level_curve c
                         where c.xp_required <= case p_mode when 'cyber' then v_after.cyber_xp else v_after.reality_xp end
                         order by c.xp_required desc limit 1), 1)
          into v_after.level, v_mode_level;
        if p_mode = 'reality' then
            v_after.reality_level := v_mode_level;
        elsif p_mode = 'cyber' then
            v_after.cyber_level := v_mode_level;
        end if;
        -- A layer moves only with its mode's level (a new totals row has none yet).
        if v_after.reality_layer is null or v_after.reality_level <> v_before.reality_level then
            select code into v_after.reality_layer from xp.layers
             where mode = 'reality' and min_level <= v_after.reality_level order by min_level desc limit 1;
        end if;
        if v_after.cyber_layer is null or v_after.cyber_level <> v_before.cyber_level then
            select code into v_after.cyber_layer from xp.layers
             where mode = 'cyber' and min_level <= v_after.cyber_level order by min_level desc limit 1;
        end if;
        exit when v_pass = 2 or v_reward = 0;
        v_answer := v_after;
        v_add := v_reward;
    end loop;
    if v_reward = 0 then
        v_answer := v_after;
    end if;
    if v_gain <> 0 then
        v_after.reached_at := now();
    end if;

    update xp.totals set
        total_xp = v_after.total_xp, level = v_after.level,
        reality_xp = v_after.reality_xp, reality_level = v_after.reality_level, reality_layer = v_after.reality_layer,
        cyber_xp = v_after.cyber_xp, cyber_level = v_after.cyber_level, cyber_layer = v_after.cyber_layer,
        reached_at = v_after.reached_at, updated_at = now()
    where user_id = p_user_id;

    if p_mode is not null then
        insert into xp.season_scores as s (season_id, mode, user_id, xp, reached_at)
        values (v_season.id, p_mode, p_user_id, greatest(v_gain, 0), now())
        on conflict (season_id, mode, user_id) do update
            set xp = greatest(s.xp + v_gain, 0),
                reached_at = case when v_gain <> 0 then now() else s.reached_at end
        returning xp into v_season_xp;
        if v_gain > 0 and v_season_xp = v_gain and current_setting('xpcore.deferred_joins', true) is distinct from 'on' then
            perform leagues.join(v_season.id, p_mode, p_user_id);  -- xp.award_events joins after its loop
        end if;
    end if;

    perform engage.on_award(p_user_id, v_event_id, p_source, p_activity, p_mode, v_units, v_gain, v_before, v_after, v_season.id);
    perform engage.on_streak(p_user_id, p_mode, p_source, p_at);  -- the day counts for the mode's streak
    if v_after.level > v_before.level then
        perform notify.enqueue(p_user_id, 'level_up', format('Level %s!', v_after.level),
            format('You reached level %s with %s XP.', v_after.level, v_after.total_xp),
            jsonb_build_object('level', v_after.level, 'previous_level', v_before.level, 'total_xp', v_after.total_xp),
            format('level:%s', v_after.level));
    end if;
    -- Layer-up: the mode's level rose into another layer than the one its previous level stood in.
    if v_after.reality_level > v_before.reality_level then
        v_old_layer := coalesce(v_before.reality_layer, xp.layer_for('reality', v_before.reality_level));
        if v_after.reality_layer is distinct from v_old_layer then
            perform notify.enqueue(p_user_id, 'layer_up', format('New reality layer: %s', v_after.reality_layer),
                format('Your reality level %s opened layer %s.', v_after.reality_level, v_after.reality_layer),
                jsonb_build_object('mode', 'reality', 'layer', v_after.reality_layer, 'level', v_after.reality_level),
                format('layer:reality:%s', v_after.reality_layer));
        end if;
    end if;
    if v_after.cyber_level > v_before.cyber_level then
        v_old_layer := coalesce(v_before.cyber_layer, xp.layer_for('cyber', v_before.cyber_level));
        if v_after.cyber_layer is distinct from v_old_layer then
            perform notify.enqueue(p_user_id, 'layer_up', format('New cyber layer: %s', v_after.cyber_layer),
                format('Your cyber level %s opened layer %s.', v_after.cyber_level, v_after.cyber_layer),
                jsonb_build_object('mode', 'cyber', 'layer', v_after.cyber_layer, 'level', v_after.cyber_level),
                format('layer:cyber:%s', v_after.cyber_layer));
        end if;
    end if;

    v_result := jsonb_build_object(
        'event_id', v_event_id,
        'user_id', p_user_id,
        'xp_awarded', v_xp,
        'capped', coalesce(v_units < p_units, false),
        'mode', p_mode,
        'total_xp', v_answer.total_xp,
        'level', v_answer.level,
        'leveled_up', v_answer.level > v_before.level,
        'modes', jsonb_build_object(
            'reality', jsonb_build_object('xp', v_answer.reality_xp, 'level', v_answer.reality_level, 'layer', v_answer.reality_layer),
            'cyber', jsonb_build_object('xp', v_answer.cyber_xp, 'level', v_answer.cyber_level, 'layer', v_answer.cyber_layer)),
        'season_id', v_season.id,
        'season_xp', v_season_xp - v_reward,
        'replayed', false);
    insert into xp.idempotency (source, idempotency_key, user_id, event_id, result, request_hash)
    values (p_source, v_key, p_user_id, v_event_id, v_result, p_fingerprint);
    return v_result;
end;
$$;

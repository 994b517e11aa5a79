-- drop: drop function if exists xp.apply(uuid, text, integer, numeric, text, text, text, timestamptz, jsonb, boolean);
-- Books one claimed award (see xp.claim, which holds the user's lock): the ledger row, the
-- user's totals, levels and layers, the season score of the mode, level-up and layer-up
-- notifications, and the answer stored for replays. Keyed by user: O(1) whatever the ledger size.
create or replace function xp.apply(
    p_user_id uuid, p_mode text, p_xp integer, p_units numeric, p_activity text, p_source text, p_key text,
    p_occurred_at timestamptz, p_metadata jsonb, p_capped boolean
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_before xp.totals;
    v_after xp.totals;
    v_season xp.seasons;
    v_event_id bigint;
    v_season_xp bigint := 0;
    v_result jsonb;
begin
    select * into v_season from xp.seasons
     where id = to_char(p_occurred_at at time zone 'UTC', 'YYYY-MM');
    if not found then
        v_season := xp.season_for(p_occurred_at);
    end if;
    if v_season.status = 'closed' then
        raise exception 'season % is closed; XP can no longer count toward it', v_season.id using errcode = 'XP422';
    end if;
    select * into v_before from xp.totals where user_id = p_user_id;
    if v_before.total_xp + p_xp < 0
       or (p_mode = 'reality' and v_before.reality_xp + p_xp < 0)
       or (p_mode = 'cyber' and v_before.cyber_xp + p_xp < 0) then
        raise exception 'this adjustment would make XP negative' using errcode = 'XP422';
    end if;

    insert into xp.ledger (user_id, activity_key, source, mode, units, xp, idempotency_key, occurred_at, metadata, season_id)
    values (p_user_id, p_activity, p_source, p_mode, p_units, p_xp, p_key, p_occurred_at, coalesce(p_metadata, '{}'), v_season.id)
    returning id into v_event_id;

    -- One update: the new sums, and level and layer recomputed only where the sum moved.
    update xp.totals t set
        total_xp = t.total_xp + p_xp,
        level = xp.level_for(t.total_xp + p_xp),
        reality_xp = t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end,
        reality_level = case when p_mode = 'reality' then xp.level_for(t.reality_xp + p_xp) else t.reality_level end,
        reality_layer = case when p_mode = 'reality' or t.reality_layer is null
                             then xp.layer_for('reality', xp.level_for(t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end))
                             else t.reality_layer end,
        cyber_xp = t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end,
        cyber_level = case when p_mode = 'cyber' then xp.level_for(t.cyber_xp + p_xp) else t.cyber_level end,
        cyber_layer = case when p_mode = 'cyber' or t.cyber_layer is null
                           then xp.layer_for('cyber', xp.level_for(t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end))
                           else t.cyber_layer end,
        reached_at = case when p_xp <> 0 then now() else t.reached_at end,
        updated_at = now()
    where t.user_id = p_user_id
    returning * into v_after;

    if p_mode is not null then
        insert into xp.season_scores as s (season_id, mode, user_id, xp, reached_at)
        values (v_season.id, p_mode, p_user_id, greatest(p_xp, 0), now())
        on conflict (season_id, mode, user_id) do update
            set xp = greatest(s.xp + p_xp, 0),
                reached_at = case when p_xp <> 0 then now() else s.reached_at end
        returning xp into v_season_xp;
    end if;

    if v_after.level > v_before.level then
        perform notify.enqueue(p_user_id, 'level_up', format('Level %s!', v_after.level),
            format('You reached level %s with %s XP.', v_after.level, v_after.total_xp),
            jsonb_build_object('level', v_after.level, 'previous_level', v_before.level, 'total_xp', v_after.total_xp),
            format('level:%s', v_after.level));
    end if;
    -- a new totals row has no layer yet: compare with the layer its previous level stood in
    if v_after.reality_layer is distinct from coalesce(v_before.reality_layer, xp.layer_for('reality', v_before.reality_level))
       and v_after.reality_level > v_before.reality_level then
        perform notify.enqueue(p_user_id, 'layer_up', format('New reality layer: %s', v_after.reality_layer),
            format('Your reality level %s opened layer %s.', v_after.reality_level, v_after.reality_layer),
            jsonb_build_object('mode', 'reality', 'layer', v_after.reality_layer, 'level', v_after.reality_level),
            format('layer:reality:%s', v_after.reality_layer));
    end if;
    if v_after.cyber_layer is distinct from coalesce(v_before.cyber_layer, xp.layer_for('cyber', v_before.cyber_level))
       and v_after.cyber_level > v_before.cyber_level then
        perform notify.enqueue(p_user_id, 'layer_up', format('New cyber layer: %s', v_after.cyber_layer),
            format('Your cyber level %s opened layer %s.', v_after.cyber_level, v_after.cyber_layer),
            jsonb_build_object('mode', 'cyber', 'layer', v_after.cyber_layer, 'level', v_after.cyber_level),
            format('layer:cyber:%s', v_after.cyber_layer));
    end if;

    v_result := jsonb_build_object(
        'event_id', v_event_id,
        'user_id', p_user_id,
        'xp_awarded', p_xp,
        'capped', p_capped,
        'mode', p_mode,
        'total_xp', v_after.total_xp,
        'level', v_after.level,
        'leveled_up', v_after.level > v_before.level,
        'modes', jsonb_build_object(
            'reality', jsonb_build_object('xp', v_after.reality_xp, 'level', v_after.reality_level, 'layer', v_after.reality_layer),
            'cyber', jsonb_build_object('xp', v_after.cyber_xp, 'level', v_after.cyber_level, 'layer', v_after.cyber_layer)),
        'season_id', v_season.id,
        'season_xp', v_season_xp,
        'replayed', false);
    insert into xp.idempotency (source, idempotency_key, user_id, event_id, result)
    values (p_source, p_key, p_user_id, v_event_id, v_result);
    return v_result;
end;
$$;

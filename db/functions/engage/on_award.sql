-- drop: drop function if exists engage.on_award(uuid, bigint, text, text, text, numeric, integer, xp.totals, xp.totals, text);
-- The hook xp.book calls for every booked award, under the user's totals lock and in its
-- transaction: what it unlocks commits with the ledger row. It keeps no row per achievement:
-- - totals kinds (total_xp, mode_xp, level, layer) are read from xp.totals; the award only
--   probes the tiers its totals crossed, before < threshold <= after (usually none);
-- - activity kinds share one engage.counters row per (user, activity), moved (an UPDATE, or
--   an upsert for the first award) while an active achievement counts the activity, then the
--   same crossing probe.
-- The probe is one statement over engage.award_tiers, the active tiers of these kinds with the
-- kind, mode and activity beside each threshold (kept by triggers on the catalogue): a scan of
-- one small table instead of a join of the achievements to their tiers (0032: the statement's
-- CPU halved, about 7 us less per award). It returns each hit's achievement row and tier name, so unlocking reads
-- nothing again. Unlocks go through engage.unlock (once, with a notification and coins).
-- Challenge, purchase and season kinds have their own hooks (on_challenge, on_purchase,
-- on_season_close).
create or replace function engage.on_award(
    p_user_id uuid, p_event_id bigint, p_source text, p_activity text, p_mode text, p_units numeric,
    p_xp integer, p_before xp.totals, p_after xp.totals, p_season_id text
)
returns void
language plpgsql
volatile
as $$
declare
    v_events bigint;
    v_units numeric;
    v_units_before numeric;
    v_mode_before bigint := 0;
    v_mode_after bigint := 0;
    v_layer_before integer := 0;
    v_layer_after integer := 0;
    v_level_before integer := 0;
    v_level_after integer := 0;
    v_hits engage.achievements[];
    v_tiers smallint[];
    v_names text[];
begin
    if not exists (select from engage.award_tiers) then
        return;  -- none active (the shipped default): no counter to move, nothing to cross
    end if;
    if p_activity is not null then
        -- A returning user's counter exists: a plain UPDATE (11 us) costs less than the upsert's
        -- conflict path (19 us); the upsert is for the user's first award of the activity (or
        -- one the back-fill writes meanwhile: it upserts too). The exists keeps the rule: no
        -- active achievement on the activity, no counter moves.
        update engage.counters c set events = c.events + 1, units = c.units + coalesce(p_units, 0), updated_at = now()
         where c.user_id = p_user_id and c.activity_key = p_activity
           and exists (select from engage.award_tiers t where t.activity_key = p_activity)
        returning c.events, c.units into v_events, v_units;
        if not found then
            insert into engage.counters as c (user_id, activity_key, events, units)
            select p_user_id, p_activity, 1, coalesce(p_units, 0)
             where exists (select from engage.award_tiers t where t.activity_key = p_activity)
            on conflict (user_id, activity_key) do update
                set events = c.events + 1, units = c.units + excluded.units, updated_at = now()
            returning c.events, c.units into v_events, v_units;
        end if;
        v_units_before := v_units - coalesce(p_units, 0);
    end if;
    if p_xp <= 0 and v_events is null then
        return;  -- nothing rose: no tier can be crossed
    end if;
    if p_mode = 'reality' then
        v_mode_before := p_before.reality_xp;
        v_mode_after := p_after.reality_xp;
        v_level_before := p_before.reality_level;
        v_level_after := p_after.reality_level;
    elsif p_mode = 'cyber' then
        v_mode_before := p_before.cyber_xp;
        v_mode_after := p_after.cyber_xp;
        v_level_before := p_before.cyber_level;
        v_level_after := p_after.cyber_level;
    end if;
    if v_level_after > v_level_before then
        -- The layers the mode's levels stand in (engage.layer_position, inlined: one cached
        -- plan instead of two SQL-function calls planned afresh).
        select coalesce((select l.position from xp.layers l where l.mode = p_mode and l.min_level <= v_level_before
                          order by l.min_level desc limit 1), 0),
               coalesce((select l.position from xp.layers l where l.mode = p_mode and l.min_level <= v_level_after
                          order by l.min_level desc limit 1), 0)
          into v_layer_before, v_layer_after;
    end if;

    -- One SELECT INTO (no cursor: a FOR loop over the query opened a portal on every award,
    -- though nearly every award crosses nothing). award_tiers.mode is set only for the kinds
    -- that need the award's mode (mode_xp, layer), activity_key only for the activity kinds.
    select array_agg(e order by t.achievement_id, t.tier), array_agg(t.tier order by t.achievement_id, t.tier),
           array_agg(t.name order by t.achievement_id, t.tier)
      into v_hits, v_tiers, v_names
      from engage.award_tiers t
      join engage.achievements e on e.id = t.achievement_id
     where t.threshold > case t.kind when 'total_xp' then p_before.total_xp when 'mode_xp' then v_mode_before
                                     when 'level' then p_before.level when 'layer' then v_layer_before
                                     when 'activity_events' then v_events - 1 else v_units_before end
       and t.threshold <= case t.kind when 'total_xp' then p_after.total_xp when 'mode_xp' then v_mode_after
                                      when 'level' then p_after.level when 'layer' then v_layer_after
                                      when 'activity_events' then v_events else v_units end
       and (t.mode is null or t.mode = p_mode)
       and (t.activity_key is null or t.activity_key = p_activity);
    for v_i in 1..coalesce(cardinality(v_hits), 0) loop
        perform engage.unlock(p_user_id, v_hits[v_i], v_tiers[v_i], p_event_id, v_names[v_i]);
    end loop;
end;
$$;

-- drop: drop function if exists engage.on_award(uuid, bigint, text, text, text, numeric, integer, xp.totals, xp.totals, text);
-- The hook xp.book calls for every booked award, under the user's totals lock and in its
-- transaction: what it unlocks commits with the ledger row. It keeps no row per achievement:
-- - totals kinds (total_xp, mode_xp, level, layer) are read from xp.totals; the award only
--   probes the tiers its totals crossed, before < threshold <= after (usually none);
-- - activity kinds share one engage.counters row per (user, activity), moved by one upsert
--   while an active achievement counts the activity, then the same crossing probe.
-- The probe is one statement: per kind, the active achievements of the award's kind, mode
-- and activity (achievements_by_rule), each a range probe of its tiers (tiers_by_threshold);
-- a kind whose value did not rise is cut off before it reads anything. Unlocks go through
-- engage.unlock (once, with a notification and coins). Challenge, purchase and season kinds
-- have their own hooks (on_challenge, on_purchase, on_season_close).
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
    v_hit record;
    a engage.achievements;
begin
    if p_activity is not null then
        insert into engage.counters as c (user_id, activity_key, events, units)
        select p_user_id, p_activity, 1, coalesce(p_units, 0)
         where exists (select from engage.achievements e
                        where e.active and e.kind in ('activity_events', 'activity_units') and e.activity_key = p_activity)
        on conflict (user_id, activity_key) do update
            set events = c.events + 1, units = c.units + excluded.units, updated_at = now()
        returning c.events, c.units into v_events, v_units;
        v_units_before := v_units - coalesce(p_units, 0);
    end if;
    if p_xp <= 0 and v_events is null then
        return;  -- nothing rose: no tier can be crossed
    end if;
    if p_mode = 'reality' then
        v_mode_before := p_before.reality_xp;
        v_mode_after := p_after.reality_xp;
        if p_after.reality_level > p_before.reality_level then
            v_layer_before := engage.layer_position('reality', p_before.reality_level);
            v_layer_after := engage.layer_position('reality', p_after.reality_level);
        end if;
    elsif p_mode = 'cyber' then
        v_mode_before := p_before.cyber_xp;
        v_mode_after := p_after.cyber_xp;
        if p_after.cyber_level > p_before.cyber_level then
            v_layer_before := engage.layer_position('cyber', p_before.cyber_level);
            v_layer_after := engage.layer_position('cyber', p_after.cyber_level);
        end if;
    end if;

    for v_hit in
        select h.id, h.tier from (
            select e.id, t.tier from engage.achievements e join engage.tiers t on t.achievement_id = e.id
             where p_after.total_xp > p_before.total_xp and e.active and e.kind = 'total_xp'
               and t.threshold > p_before.total_xp and t.threshold <= p_after.total_xp
            union all
            select e.id, t.tier from engage.achievements e join engage.tiers t on t.achievement_id = e.id
             where v_mode_after > v_mode_before and e.active and e.kind = 'mode_xp' and e.mode = p_mode
               and t.threshold > v_mode_before and t.threshold <= v_mode_after
            union all
            select e.id, t.tier from engage.achievements e join engage.tiers t on t.achievement_id = e.id
             where p_after.level > p_before.level and e.active and e.kind = 'level'
               and t.threshold > p_before.level and t.threshold <= p_after.level
            union all
            select e.id, t.tier from engage.achievements e join engage.tiers t on t.achievement_id = e.id
             where v_layer_after > v_layer_before and e.active and e.kind = 'layer' and e.mode = p_mode
               and t.threshold > v_layer_before and t.threshold <= v_layer_after
            union all
            select e.id, t.tier from engage.achievements e join engage.tiers t on t.achievement_id = e.id
             where v_events is not null and e.active and e.kind = 'activity_events' and e.activity_key = p_activity
               and t.threshold > v_events - 1 and t.threshold <= v_events
            union all
            select e.id, t.tier from engage.achievements e join engage.tiers t on t.achievement_id = e.id
             where v_units > v_units_before and e.active and e.kind = 'activity_units' and e.activity_key = p_activity
               and t.threshold > v_units_before and t.threshold <= v_units
        ) h
        order by h.id, h.tier
    loop
        if a.id is distinct from v_hit.id then
            select * into a from engage.achievements where id = v_hit.id;
        end if;
        perform engage.unlock(p_user_id, a, v_hit.tier, p_event_id);
    end loop;
end;
$$;

-- drop: drop function if exists engage.on_award(uuid, bigint, text, text, text, numeric, integer, xp.totals, xp.totals, text);
-- The hook xp.book calls for every booked award, under the user's totals lock and in its
-- transaction: progress moves exactly when the ledger row commits. Only the achievements this
-- award can move are read (by kind, mode and activity: engage.achievements_by_rule), and each
-- is one upsert, so the cost does not grow with the ledger. Totals-based kinds read the totals
-- after the award (p_after); counters add this event. Challenge, purchase and season kinds
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
    a engage.achievements;
    v_value numeric;
begin
    for a in
        select * from engage.achievements e
         where e.active and (
               (e.kind = 'total_xp' and p_xp <> 0)
            or (e.kind = 'level' and p_after.level <> p_before.level)
            or (e.kind = 'mode_xp' and e.mode = p_mode and p_xp <> 0)
            or (e.kind = 'layer' and e.mode = p_mode
                and (p_after.reality_level <> p_before.reality_level or p_after.cyber_level <> p_before.cyber_level))
            or (e.kind in ('activity_events', 'activity_units') and e.activity_key = p_activity))
         order by e.id
    loop
        v_value := case a.kind
            when 'total_xp' then p_after.total_xp
            when 'level' then p_after.level
            when 'mode_xp' then case a.mode when 'reality' then p_after.reality_xp else p_after.cyber_xp end
            when 'layer' then engage.layer_position(a.mode,
                case a.mode when 'reality' then p_after.reality_level else p_after.cyber_level end)
            when 'activity_events' then 1
            when 'activity_units' then coalesce(p_units, 0)
        end;
        if a.kind in ('activity_events', 'activity_units') then
            perform engage.advance(p_user_id, a, v_value, 'add', p_event_id);
        else
            perform engage.advance(p_user_id, a, v_value, 'set', p_event_id);
        end if;
    end loop;
end;
$$;

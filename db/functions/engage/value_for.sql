-- drop: drop function if exists engage.value_for(uuid, engage.achievements);
-- What a user's progress on an achievement is, computed from the source tables (the ledger,
-- totals, challenges, purchases, final standings, the longest streak) rather than kept up event
-- by event: the back-fill's answer (engage.current_value is what the hooks keep; the tests hold
-- the two equal). Null: nothing to record
-- (no final standing for season_rank).
create or replace function engage.value_for(p_user_id uuid, a engage.achievements)
returns numeric
language sql
stable
as $$
    select case a.kind
        when 'total_xp' then (select coalesce(max(t.total_xp), 0) from xp.totals t where t.user_id = p_user_id)
        when 'level' then (select coalesce(max(t.level), 1) from xp.totals t where t.user_id = p_user_id)
        when 'mode_xp' then (select coalesce(max(case a.mode when 'reality' then t.reality_xp else t.cyber_xp end), 0)
                               from xp.totals t where t.user_id = p_user_id)
        when 'layer' then (select engage.layer_position(a.mode,
                                   coalesce(max(case a.mode when 'reality' then t.reality_level else t.cyber_level end), 1))
                             from xp.totals t where t.user_id = p_user_id)
        when 'activity_events' then (select count(*) from xp.ledger l
                                      where l.user_id = p_user_id and l.activity_key = a.activity_key)
        when 'activity_units' then (select coalesce(sum(l.units), 0) from xp.ledger l
                                     where l.user_id = p_user_id and l.activity_key = a.activity_key)
        when 'challenges_completed' then engage.challenge_count(p_user_id, a)
        when 'challenge_stars' then engage.challenge_count(p_user_id, a)
        when 'purchases' then (select count(*) from store.coin_ledger c where c.user_id = p_user_id and c.source = 'purchase')
        when 'season_rank' then (select min(s.rank) from seasons.final_standings s
                                  where s.user_id = p_user_id and s.mode = a.mode)
        when 'streak' then (select coalesce(max(s.longest), 0) from engage.streaks s
                             where s.user_id = p_user_id and s.mode = a.mode)
    end;
$$;

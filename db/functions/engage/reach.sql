-- drop: drop function if exists engage.reach(uuid, engage.achievements, numeric, bigint);
-- Unlocks every tier of an achievement that a value reaches and the user does not have yet
-- (engage.unlock: once, with its notification and coins). A tier is reached at or above its
-- threshold, at or below it for season_rank (a rank). Returns the highest tier the value
-- reaches (0: none). The back-fill and engage.advance use it; awards only probe the tiers
-- they cross (engage.on_award).
create or replace function engage.reach(
    p_user_id uuid, p_achievement engage.achievements, p_value numeric, p_event_id bigint default null
)
returns smallint
language plpgsql
volatile
as $$
declare
    v_tier smallint;
    v_top smallint := 0;
begin
    for v_tier in
        select t.tier from engage.tiers t
         where t.achievement_id = p_achievement.id
           and case when p_achievement.kind = 'season_rank' then p_value <= t.threshold else p_value >= t.threshold end
         order by t.tier
    loop
        v_top := v_tier;
        if not exists (select from engage.unlocks u where u.user_id = p_user_id
                          and u.achievement_id = p_achievement.id and u.tier = v_tier) then
            perform engage.unlock(p_user_id, p_achievement, v_tier, p_event_id);
        end if;
    end loop;
    return v_top;
end;
$$;

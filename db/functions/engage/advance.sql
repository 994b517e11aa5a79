-- drop: drop function if exists engage.advance(uuid, engage.achievements, numeric, text, bigint);
-- Moves one user's progress row on one achievement of the kinds other events than awards
-- move (challenges, purchases, season ranks: engage.progress), and unlocks every tier it now
-- reaches (engage.reach), in the caller's transaction. p_how: 'add' (purchases), 'set'
-- (challenge counts) or 'min' (season_rank: the best rank, where a tier is reached at or below
-- its threshold). Award kinds keep no row here: engage.on_award.
create or replace function engage.advance(
    p_user_id uuid, p_achievement engage.achievements, p_value numeric, p_how text, p_event_id bigint default null
)
returns void
language plpgsql
volatile
as $$
declare
    v_progress engage.progress;
    v_top smallint;
begin
    insert into engage.progress as p (user_id, achievement_id, value)
    values (p_user_id, p_achievement.id, p_value)
    on conflict (user_id, achievement_id) do update set
        value = case p_how when 'add' then p.value + excluded.value
                           when 'min' then least(p.value, excluded.value)
                           else excluded.value end,
        updated_at = now()
    returning * into v_progress;
    v_top := engage.reach(p_user_id, p_achievement, v_progress.value, p_event_id);
    if v_top > v_progress.tier then
        update engage.progress set tier = v_top
         where user_id = p_user_id and achievement_id = p_achievement.id and tier < v_top;
    end if;
end;
$$;

-- drop: drop function if exists engage.challenge_count(uuid, engage.achievements);
-- What a challenge achievement counts for a user: completed challenges, or (challenge_stars)
-- completed challenges with at least params.stars (default 3) best stars.
create or replace function engage.challenge_count(p_user_id uuid, p_achievement engage.achievements)
returns numeric
language sql
stable
as $$
    select count(*)::numeric from challenges.progress p
     where p.user_id = p_user_id and p.completed_at is not null
       and (p_achievement.kind <> 'challenge_stars'
            or p.best_stars >= coalesce((p_achievement.params ->> 'stars')::int, 3));
$$;

-- drop: drop function if exists challenges.complete(uuid, text, boolean, integer, integer);
-- The judge reports a run. A pass completes the challenge once: XP (mode cyber, source
-- challenge, key per user and challenge) and coins through the same functions as every other
-- award; stars = 3, minus 1 if over twice the target time, minus hints used, at least 1; the
-- best stars are kept. The progress row lock makes concurrent duplicate reports pay once.
-- XP409 while the challenge is locked; a failed run only counts an attempt.
create or replace function challenges.complete(
    p_user_id uuid, p_slug text, p_passed boolean, p_hints_used integer, p_duration_s integer
)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    c challenges.challenges;
    v_progress challenges.progress;
    v_stars integer;
    v_xp jsonb;
    v_next text;
begin
    select * into c from challenges.challenges where slug = p_slug and active;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404', detail = 'challenges.unknown_challenge';
    end if;
    if not exists (select 1 from app.users where id = p_user_id and deleted_at is null) then
        raise exception 'no user %', p_user_id using errcode = 'XP404', detail = 'users.unknown_user';
    end if;
    insert into challenges.progress (user_id, challenge_id) values (p_user_id, c.id) on conflict do nothing;
    select * into v_progress from challenges.progress where user_id = p_user_id and challenge_id = c.id for update;
    if v_progress.completed_at is null and challenges.status_for(p_user_id, c) = 'locked' then
        raise exception 'challenge % is locked: complete the one before it first', p_slug
            using errcode = 'XP409', detail = 'challenges.locked';
    end if;
    select slug into v_next from challenges.challenges where active and position > c.position order by position limit 1;
    if not coalesce(p_passed, false) then
        update challenges.progress set attempts = attempts + 1 where user_id = p_user_id and challenge_id = c.id;
        return jsonb_build_object('status', 'failed', 'xp_awarded', 0, 'stars', v_progress.best_stars, 'next_slug', null);
    end if;
    v_stars := greatest(1, 3 - case when p_duration_s is not null and p_duration_s > 2 * c.target_time_s then 1 else 0 end
                             - greatest(coalesce(p_hints_used, 0), 0));
    update challenges.progress set
        attempts = attempts + 1,
        best_stars = greatest(coalesce(best_stars, 0), v_stars),
        hints_used = least(coalesce(hints_used, p_hints_used), p_hints_used),
        completed_at = coalesce(completed_at, now())
    where user_id = p_user_id and challenge_id = c.id;
    perform engage.on_challenge(p_user_id);
    if v_progress.completed_at is not null then
        return jsonb_build_object('status', 'already_completed', 'xp_awarded', 0,
            'stars', greatest(coalesce(v_progress.best_stars, 0), v_stars), 'next_slug', v_next);
    end if;
    v_xp := xp.award_fixed(p_user_id, 'cyber', c.xp_reward, 'challenge', p_user_id || ':' || c.slug, now(),
                           jsonb_build_object('challenge', c.slug, 'stars', v_stars));
    if c.coin_reward > 0 then
        perform store.credit_coins(p_user_id, c.coin_reward, 'challenge', p_user_id || ':' || c.slug,
                                   jsonb_build_object('challenge', c.slug));
    end if;
    perform notify.enqueue(p_user_id, 'challenge_completed', format('Solved: %s', c.title),
        format('%s stars, %s XP.', v_stars, c.xp_reward), jsonb_build_object('challenge', c.slug, 'stars', v_stars),
        'challenge:' || c.slug);
    return jsonb_build_object('status', 'completed', 'xp_awarded', (v_xp->>'xp_awarded')::int, 'stars', v_stars,
                              'next_slug', v_next);
end;
$$;

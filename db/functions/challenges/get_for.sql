-- drop: drop function if exists challenges.get_for(uuid, text);
-- One challenge for a player: description and starter code, never the hidden tests; XP403
-- while it is locked.
create or replace function challenges.get_for(p_user_id uuid, p_slug text)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    c challenges.challenges;
    v_status text;
begin
    select * into c from challenges.challenges where slug = p_slug and active;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404', detail = 'challenges.unknown_challenge';
    end if;
    v_status := challenges.status_for(p_user_id, c);
    if v_status = 'locked' then
        raise exception 'challenge % is locked: complete the one before it first', p_slug
            using errcode = 'XP403', detail = 'challenges.locked';
    end if;
    return jsonb_build_object('slug', c.slug, 'title', c.title, 'order', c.position, 'xp_reward', c.xp_reward,
        'coin_reward', c.coin_reward, 'status', v_status, 'description', c.description_md,
        'starter_code', c.starter_code, 'target_time_s', c.target_time_s,
        'stars', (select best_stars from challenges.progress p where p.user_id = p_user_id and p.challenge_id = c.id));
end;
$$;

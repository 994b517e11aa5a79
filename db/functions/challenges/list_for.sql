-- drop: drop function if exists challenges.list_for(uuid);
-- The catalog for a player (never the hidden tests).
create or replace function challenges.list_for(p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    return (select coalesce(jsonb_agg(jsonb_build_object(
        'slug', c.slug, 'title', c.title, 'order', c.position, 'xp_reward', c.xp_reward, 'coin_reward', c.coin_reward,
        'status', challenges.status_for(p_user_id, c),
        'stars', (select best_stars from challenges.progress p where p.user_id = p_user_id and p.challenge_id = c.id))
        order by c.position), '[]'::jsonb)
    from challenges.challenges c where c.active);
end;
$$;

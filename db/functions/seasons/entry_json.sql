-- drop: drop function if exists seasons.entry_json(bigint, uuid, bigint, integer);
-- One leaderboard line: rank, the user's public face, XP and level.
create or replace function seasons.entry_json(p_rank bigint, p_user_id uuid, p_xp bigint, p_level integer)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'rank', p_rank,
        'user', jsonb_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name,
                                   'avatar_url', u.avatar_url),
        'xp', p_xp,
        'level', coalesce(p_level, 1))
    from app.users u where u.id = p_user_id;
$$;

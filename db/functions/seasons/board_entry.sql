-- drop: drop function if exists seasons.board_entry(bigint, uuid, text, text, text, bigint, integer);
-- One board line as the API shows it: rank, the user's public face, XP and level.
create or replace function seasons.board_entry(
    p_rank bigint, p_user_id uuid, p_username text, p_display_name text, p_avatar_url text, p_xp bigint,
    p_level integer
)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'rank', p_rank,
        'user', jsonb_build_object('id', p_user_id, 'username', p_username, 'display_name', p_display_name,
                                   'avatar_url', p_avatar_url),
        'xp', p_xp,
        'level', coalesce(p_level, 1));
$$;

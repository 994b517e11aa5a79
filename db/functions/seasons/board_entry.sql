-- drop: drop function if exists seasons.board_entry(bigint, uuid, text, text, text, bigint, integer);
-- One board line as the API shows it: rank, the user's public face, XP and level. json, not
-- jsonb: pages are built once and sent as text, so jsonb's binary form was pure conversion cost.
create or replace function seasons.board_entry(
    p_rank bigint, p_user_id uuid, p_username text, p_display_name text, p_avatar_url text, p_xp bigint,
    p_level integer
)
returns json
language sql
stable
as $$
    select json_build_object(
        'rank', p_rank,
        'user', json_build_object('id', p_user_id, 'username', p_username, 'display_name', p_display_name,
                                   'avatar_url', p_avatar_url),
        'xp', p_xp,
        'level', coalesce(p_level, 1));
$$;

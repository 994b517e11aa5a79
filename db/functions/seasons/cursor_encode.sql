-- drop: drop function if exists seasons.cursor_encode(text, bigint, bigint, timestamptz, uuid);
-- The position after a board entry, URL-safe as it is: `rank~xp~reached_at~user_id~mac`, where
-- mac = seasons.board_mac(board || '|' || position) and board names the board and season
-- (`season:2026-12:reality`, `all-time`): a cursor only pages the board that issued it, and
-- nobody can write one with a rank of their choosing.
create or replace function seasons.cursor_encode(
    p_board text, p_rank bigint, p_xp bigint, p_reached_at timestamptz, p_user_id uuid
)
returns text
language plpgsql
stable
as $$
declare
    v_position text := p_rank || '~' || p_xp || '~'
                       || to_char(p_reached_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '~' || p_user_id;
begin
    return v_position || '~' || seasons.board_mac(p_board || '|' || v_position);
end;
$$;

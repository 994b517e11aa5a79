-- drop: drop function if exists seasons.cursor_decode(text, text);
-- A board cursor (seasons.cursor_encode) back to its parts, after checking its mac for this
-- board; XP400 when it is not one this board issued (another board or season, tampered,
-- garbage). The macs are compared through sha256, so the comparison's time says nothing
-- about how much of a guess was right.
create or replace function seasons.cursor_decode(
    p_board text, p_cursor text, out rank bigint, out xp bigint, out reached_at timestamptz, out user_id uuid
)
language plpgsql
stable
as $$
declare
    v_position text := substring(p_cursor from '^(.*)~[^~]*$');
    v_mac text := substring(p_cursor from '~([^~]*)$');
begin
    if v_position is null
       or sha256(convert_to(v_mac, 'UTF8')) <> sha256(convert_to(seasons.board_mac(p_board || '|' || v_position), 'UTF8')) then
        raise exception 'invalid cursor: not one this board issued'
            using errcode = 'XP400', detail = 'seasons.invalid_cursor';
    end if;
    rank := split_part(v_position, '~', 1)::bigint;
    xp := split_part(v_position, '~', 2)::bigint;
    reached_at := to_timestamp(split_part(v_position, '~', 3), 'YYYY-MM-DD"T"HH24:MI:SS.US') at time zone 'UTC';
    user_id := split_part(v_position, '~', 4)::uuid;
exception when data_exception then
    raise exception 'malformed cursor' using errcode = 'XP400', detail = 'seasons.invalid_cursor';
end;
$$;

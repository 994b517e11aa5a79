-- drop: drop function if exists seasons.cursor_decode(text);
-- A board cursor `rank~xp~reached_at(UTC, microseconds)~user_id` back to its parts; XP400
-- when it is not one of ours.
create or replace function seasons.cursor_decode(
    p_cursor text, out rank bigint, out xp bigint, out reached_at timestamptz, out user_id uuid
)
language plpgsql
immutable
as $$
begin
    rank := split_part(p_cursor, '~', 1)::bigint;
    xp := split_part(p_cursor, '~', 2)::bigint;
    reached_at := to_timestamp(split_part(p_cursor, '~', 3), 'YYYY-MM-DD"T"HH24:MI:SS.US') at time zone 'UTC';
    user_id := split_part(p_cursor, '~', 4)::uuid;
exception when others then
    raise exception 'malformed cursor' using errcode = 'XP400';
end;
$$;

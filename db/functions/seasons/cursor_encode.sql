-- drop: drop function if exists seasons.cursor_encode(bigint, bigint, timestamptz, uuid);
-- The position after a board entry, URL-safe as it is: `rank~xp~reached_at~user_id`.
create or replace function seasons.cursor_encode(p_rank bigint, p_xp bigint, p_reached_at timestamptz, p_user_id uuid)
returns text
language sql
stable
as $$
    select p_rank || '~' || p_xp || '~' || to_char(p_reached_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
           || '~' || p_user_id;
$$;

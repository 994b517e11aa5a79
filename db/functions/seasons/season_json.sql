-- drop: drop function if exists seasons.season_json(xp.seasons);
-- A season as the API shows it.
create or replace function seasons.season_json(s xp.seasons)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object('id', s.id, 'starts_at', s.starts_at, 'ends_at', s.ends_at, 'status', s.status,
                              'closed_at', s.closed_at);
$$;

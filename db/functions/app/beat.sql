-- drop: drop function if exists app.beat(text);
-- Records that a periodic job ran: one row per job name, upserted in one statement.
create or replace function app.beat(p_name text)
returns timestamptz
language sql
volatile
as $$
    insert into app.heartbeats (name, beat_at, beats)
    values (p_name, now(), 1)
    on conflict (name) do update
        set beat_at = excluded.beat_at,
            beats = app.heartbeats.beats + 1
    returning beat_at;
$$;

-- drop: drop function if exists app.cron_claim(text, timestamptz, text);
-- Claims one tick of a cron job for the calling worker: true for the first claimer, false for
-- any later one (the tick already ran or is running elsewhere). Prunes the job's rows older
-- than a day on the way (an index range of a row or two per call).
create or replace function app.cron_claim(p_job text, p_tick timestamptz, p_worker text)
returns boolean
language plpgsql
volatile
as $$
declare
    v_claimed boolean;
begin
    insert into app.cron_runs (job, tick, worker) values (p_job, p_tick, coalesce(p_worker, ''))
    on conflict do nothing;
    v_claimed := found;
    if v_claimed then
        delete from app.cron_runs where job = p_job and tick < p_tick - interval '1 day';
    end if;
    return v_claimed;
end;
$$;

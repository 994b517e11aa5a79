-- drop: drop function if exists challenges.start(uuid, text);
-- Records when a player first opened a challenge (once; later starts change nothing).
create or replace function challenges.start(p_user_id uuid, p_slug text)
returns void
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    c challenges.challenges;
begin
    select * into c from challenges.challenges where slug = p_slug and active;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404', detail = 'challenges.unknown_challenge';
    end if;
    if challenges.status_for(p_user_id, c) = 'locked' then
        raise exception 'challenge % is locked', p_slug using errcode = 'XP403', detail = 'challenges.locked';
    end if;
    insert into challenges.progress (user_id, challenge_id, started_at) values (p_user_id, c.id, now())
    on conflict (user_id, challenge_id) do update set started_at = coalesce(challenges.progress.started_at, now());
end;
$$;

-- drop: drop function if exists engage.on_challenge(uuid);
-- The hook challenges.complete calls for a passed run, after the challenge's progress row is
-- updated: the challenge kinds count from challenges.progress (completed challenges; those with
-- at least params.stars best stars, 3 by default). It takes the user's totals lock first, the
-- lock xp.book takes first too, so a completion and an award for one user queue instead of
-- taking the wallet (a coin reward) and the totals in opposite orders.
create or replace function engage.on_challenge(p_user_id uuid)
returns void
language plpgsql
volatile
as $$
declare
    a engage.achievements;
begin
    perform from xp.totals where user_id = p_user_id for update;
    if not found then
        insert into xp.totals (user_id) values (p_user_id) on conflict (user_id) do nothing;
        perform from xp.totals where user_id = p_user_id for update;
    end if;
    for a in
        select * from engage.achievements e
         where e.active and e.kind in ('challenges_completed', 'challenge_stars') order by e.id
    loop
        perform engage.advance(p_user_id, a, engage.challenge_count(p_user_id, a), 'set');
    end loop;
end;
$$;

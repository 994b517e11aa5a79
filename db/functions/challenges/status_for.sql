-- drop: drop function if exists challenges.status_for(uuid, challenges.challenges);
-- locked | unlocked | completed for a user: challenge n is available once the active
-- challenge before it (by position) is completed; the first is always available.
create or replace function challenges.status_for(p_user_id uuid, c challenges.challenges)
returns text
language sql
stable
as $$
    select case
        when exists (select 1 from challenges.progress p
                     where p.user_id = p_user_id and p.challenge_id = c.id and p.completed_at is not null) then 'completed'
        when not exists (select 1 from challenges.challenges b where b.active and b.position < c.position) then 'unlocked'
        when exists (select 1 from challenges.progress p
                     join challenges.challenges b on b.id = p.challenge_id
                     where p.user_id = p_user_id and p.completed_at is not null
                       and b.position = (select max(x.position) from challenges.challenges x
                                         where x.active and x.position < c.position)) then 'unlocked'
        else 'locked' end;
$$;

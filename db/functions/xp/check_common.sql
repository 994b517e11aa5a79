-- drop: drop function if exists xp.check_common(uuid, text, timestamptz);
-- Input checks shared by every award, before anything is written.
create or replace function xp.check_common(p_user_id uuid, p_key text, p_occurred_at timestamptz)
returns void
language plpgsql
stable
as $$
begin
    if p_key is null or char_length(p_key) not between 1 and 200 then
        raise exception 'idempotency_key must be 1 to 200 characters' using errcode = 'XP422';
    end if;
    if p_occurred_at > now() + interval '5 minutes' then
        raise exception 'occurred_at is in the future' using errcode = 'XP422';
    end if;
    if p_occurred_at < now() - interval '31 days' then
        raise exception 'occurred_at is more than 31 days ago' using errcode = 'XP422';
    end if;
    if not exists (select 1 from app.users where id = p_user_id and deleted_at is null) then
        raise exception 'no user %', p_user_id using errcode = 'XP404';
    end if;
end;
$$;

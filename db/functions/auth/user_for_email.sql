-- drop: drop function if exists auth.user_for_email(text);
-- The live user with this e-mail, created on first login (username derived from the address).
-- Concurrent first logins for one address create one user: the unique index decides.
create or replace function auth.user_for_email(p_email text)
returns app.users
language plpgsql
volatile
as $$
declare
    v_user app.users;
begin
    select * into v_user from app.users where lower(email) = lower(p_email) and deleted_at is null;
    if found then
        return v_user;
    end if;
    insert into app.users (username, email)
    values (auth.unique_username(split_part(p_email, '@', 1)), lower(p_email))
    on conflict do nothing
    returning * into v_user;
    if v_user.id is null then  -- lost a race for the same address (or username): read the winner
        select * into v_user from app.users where lower(email) = lower(p_email) and deleted_at is null;
        if not found then
            raise exception 'could not create a user for this address, retry'
                using errcode = 'XP409', detail = 'auth.user_creation_conflict';
        end if;
    end if;
    return v_user;
end;
$$;

-- drop: drop trigger if exists users_sessions_end on app.users; drop function if exists auth.sessions_end_on_user_change();
-- Trigger on app.users: when a user's roles change (an admin granted or took one) or the user
-- is deleted, every session ends, so no refresh mints tokens with the old roles.
create or replace function auth.sessions_end_on_user_change()
returns trigger
language plpgsql
as $$
begin
    update auth.refresh_families
       set revoked_at = now(),
           revoked_reason = case when new.deleted_at is not null then 'user deleted' else 'roles changed' end
     where user_id = new.id and revoked_at is null;
    return new;
end;
$$;

create or replace trigger users_sessions_end
after update of roles, deleted_at on app.users
for each row
when (old.roles is distinct from new.roles or (old.deleted_at is null and new.deleted_at is not null))
execute function auth.sessions_end_on_user_change();

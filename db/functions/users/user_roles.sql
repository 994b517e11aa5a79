-- drop: drop function if exists app.user_grant_role(text, text);
-- Operators: give the user with this e-mail a role (created if the address is new).
create or replace function app.user_grant_role(p_email text, p_role text)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_id uuid := (auth.user_for_email(p_email)).id;  -- its own statement, so the update sees a new row
    v_user jsonb;
begin
    update app.users u set roles = array(select distinct r from unnest(u.roles || p_role) r order by r), updated_at = now()
    where u.id = v_id
    returning auth.user_json(u) into v_user;
    return v_user;
end;
$$;

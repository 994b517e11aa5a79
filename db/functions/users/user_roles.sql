-- drop: drop function if exists app.user_grant_role(text, text);
-- Operators: give the user with this e-mail a role (created if the address is new).
create or replace function app.user_grant_role(p_email text, p_role text)
returns jsonb
language sql
volatile
as $$
    update app.users u set roles = array(select distinct r from unnest(u.roles || p_role) r order by r), updated_at = now()
    where u.id = (auth.user_for_email(p_email)).id
    returning auth.user_json(u);
$$;

-- drop: drop function if exists auth.user_json(app.users);
-- The private view of a user (GET /users/me and TokenPair.user).
create or replace function auth.user_json(u app.users)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'id', u.id,
        'username', u.username,
        'display_name', u.display_name,
        'email', u.email,
        'avatar_url', u.avatar_url,
        'bio', u.bio,
        'discord_id', u.discord_id,
        'timezone', u.timezone,
        'roles', to_jsonb(u.roles),
        'created_at', u.created_at
    );
$$;

-- drop: drop function if exists app.user_public(text);
-- The public face of a user, by username (case-insensitive); null when unknown or deleted.
create or replace function app.user_public(p_username text)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'id', u.id,
        'username', u.username,
        'display_name', u.display_name,
        'avatar_url', u.avatar_url,
        'bio', u.bio,
        'created_at', u.created_at
    )
    from app.users u
    where lower(u.username) = lower(p_username)
      and u.deleted_at is null;
$$;

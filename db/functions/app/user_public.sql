-- drop: drop function if exists app.user_public(text);
-- The public face of a user, by username (case-insensitive): profile fields, level and the
-- layer of each mode; null when unknown or deleted.
create or replace function app.user_public(p_username text)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    -- the public fields of auth.user_json (a field it gains stays private until it is named here)
    select (select jsonb_object_agg(f.key, f.value) from jsonb_each(auth.user_json(u)) f
             where f.key in ('id', 'username', 'display_name', 'avatar_url', 'bio', 'created_at'))
        || jsonb_build_object(
        'level', coalesce(t.level, 1),
        'layers', jsonb_build_object(
            'reality', coalesce(t.reality_layer, (select code from xp.layers where mode = 'reality' order by min_level limit 1)),
            'cyber', coalesce(t.cyber_layer, (select code from xp.layers where mode = 'cyber' order by min_level limit 1)))
    )
    from app.users u
    left join xp.totals t on t.user_id = u.id
    where lower(u.username) = lower(p_username)
      and u.deleted_at is null;
$$;

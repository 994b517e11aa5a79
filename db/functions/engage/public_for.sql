-- drop: drop function if exists engage.public_for(text);
-- GET /users/{username}/achievements: what the user unlocked, highest tier per achievement,
-- newest first. XP404 for an unknown or deleted user.
create or replace function engage.public_for(p_username text)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_user uuid;
begin
    select id into v_user from app.users where lower(username) = lower(p_username) and deleted_at is null;
    if not found then
        raise exception 'no user %', p_username using errcode = 'XP404', detail = 'users.unknown_user';
    end if;
    return coalesce((
        select jsonb_agg(jsonb_build_object(
                   'key', a.key, 'name', a.name, 'description', a.description, 'icon', a.icon, 'mode', a.mode,
                   'tier', p.tier, 'tier_name', t.name, 'unlocked_at', u.unlocked_at)
               order by u.unlocked_at desc, a.id)
          from engage.progress p
          join engage.achievements a on a.id = p.achievement_id
          join engage.tiers t on t.achievement_id = a.id and t.tier = p.tier
          join engage.unlocks u on u.user_id = p.user_id and u.achievement_id = a.id and u.tier = p.tier
         where p.user_id = v_user and p.tier > 0), '[]'::jsonb);
end;
$$;

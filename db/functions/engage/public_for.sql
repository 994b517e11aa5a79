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
                   'tier', top.tier, 'tier_name', t.name, 'unlocked_at', top.unlocked_at)
               order by top.unlocked_at desc, a.id)
          from (select distinct on (u.achievement_id) u.achievement_id, u.tier, u.unlocked_at
                  from engage.unlocks u where u.user_id = v_user
                 order by u.achievement_id, u.tier desc) top
          join engage.achievements a on a.id = top.achievement_id
          join engage.tiers t on t.achievement_id = a.id and t.tier = top.tier), '[]'::jsonb);
end;
$$;

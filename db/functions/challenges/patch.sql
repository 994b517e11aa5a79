-- drop: drop function if exists challenges.patch(text, jsonb);
-- Changes only the given fields of a challenge (admin PATCH); XP404 if unknown.
create or replace function challenges.patch(p_slug text, p jsonb)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    c challenges.challenges;
begin
    update challenges.challenges x set
        title = coalesce(p->>'title', x.title),
        description_md = coalesce(p->>'description', x.description_md),
        starter_code = coalesce(p->>'starter_code', x.starter_code),
        hidden_tests = coalesce(p->>'tests', x.hidden_tests),
        position = coalesce((p->>'order')::int, x.position),
        xp_reward = coalesce((p->>'xp_reward')::int, x.xp_reward),
        coin_reward = coalesce((p->>'coin_reward')::int, x.coin_reward),
        target_time_s = coalesce((p->>'target_time_s')::int, x.target_time_s),
        active = coalesce((p->>'active')::boolean, x.active),
        updated_at = now()
    where x.slug = p_slug
    returning * into c;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404', detail = 'challenges.unknown_challenge';
    end if;
    return jsonb_build_object('slug', c.slug, 'order', c.position, 'xp_reward', c.xp_reward, 'active', c.active);
end;
$$;

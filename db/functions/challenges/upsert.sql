-- drop: drop function if exists challenges.upsert(jsonb);
-- Creates or updates a challenge by slug (the seed and admin use this); progress is never
-- touched. xp_reward defaults to position x 10.
create or replace function challenges.upsert(p jsonb)
returns jsonb
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    insert into challenges.challenges as c (slug, title, description_md, starter_code, hidden_tests, position,
                                            xp_reward, coin_reward, target_time_s, active)
    values (p->>'slug', p->>'title', p->>'description', p->>'starter_code', p->>'tests', (p->>'order')::int,
            coalesce((p->>'xp_reward')::int, (p->>'order')::int * 10), coalesce((p->>'coin_reward')::int, 0),
            coalesce((p->>'target_time_s')::int, 600), coalesce((p->>'active')::boolean, true))
    on conflict (slug) do update set
        title = excluded.title, description_md = excluded.description_md, starter_code = excluded.starter_code,
        hidden_tests = excluded.hidden_tests, position = excluded.position, xp_reward = excluded.xp_reward,
        coin_reward = excluded.coin_reward, target_time_s = excluded.target_time_s, active = excluded.active,
        updated_at = now()
    returning jsonb_build_object('slug', c.slug, 'order', c.position, 'xp_reward', c.xp_reward);
$$;

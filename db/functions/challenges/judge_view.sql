-- drop: drop function if exists challenges.judge_view(text);
-- What the trusted judge needs: the challenge with its hidden tests.
create or replace function challenges.judge_view(p_slug text)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    c challenges.challenges;
begin
    select * into c from challenges.challenges where slug = p_slug;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404', detail = 'challenges.unknown_challenge';
    end if;
    return jsonb_build_object('slug', c.slug, 'title', c.title, 'order', c.position, 'starter_code', c.starter_code,
        'tests', c.hidden_tests, 'target_time_s', c.target_time_s, 'active', c.active);
end;
$$;

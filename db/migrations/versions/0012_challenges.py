"""challenges

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 01:07:44 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

SCHEMA_UP = """
create schema challenges;
comment on schema challenges is 'xpcore coding challenges: catalog, hidden tests for the judge, per-user progress';

create table challenges.challenges (
    id             bigint generated always as identity primary key,
    slug           text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
    title          text not null,
    description_md text not null,
    starter_code   text not null,
    hidden_tests   text not null,
    position       integer not null unique check (position >= 1),
    xp_reward      integer not null check (xp_reward > 0),
    coin_reward    integer not null default 0 check (coin_reward >= 0),
    target_time_s  integer not null default 600 check (target_time_s > 0),
    active         boolean not null default true,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);

create table challenges.progress (
    user_id      uuid not null references app.users (id),
    challenge_id bigint not null references challenges.challenges (id),
    started_at   timestamptz,
    completed_at timestamptz,
    best_stars   integer check (best_stars between 1 and 3),
    hints_used   integer,
    attempts     integer not null default 0,
    primary key (user_id, challenge_id)
);
"""

SCHEMA_DOWN = """
drop schema challenges cascade;
"""

FUNCTIONS: dict[str, str] = {
    'challenges/complete.sql': """-- drop: drop function if exists challenges.complete(uuid, text, boolean, integer, integer);
-- The judge reports a run. A pass completes the challenge once: XP (mode cyber, source
-- challenge, key per user and challenge) and coins through the same functions as every other
-- award; stars = 3, minus 1 if over twice the target time, minus hints used, at least 1; the
-- best stars are kept. The progress row lock makes concurrent duplicate reports pay once.
-- XP409 while the challenge is locked; a failed run only counts an attempt.
create or replace function challenges.complete(
    p_user_id uuid, p_slug text, p_passed boolean, p_hints_used integer, p_duration_s integer
)
returns jsonb
language plpgsql
volatile
as $$
declare
    c challenges.challenges;
    v_progress challenges.progress;
    v_stars integer;
    v_xp jsonb;
    v_next text;
begin
    select * into c from challenges.challenges where slug = p_slug and active;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404';
    end if;
    if not exists (select 1 from app.users where id = p_user_id and deleted_at is null) then
        raise exception 'no user %', p_user_id using errcode = 'XP404';
    end if;
    insert into challenges.progress (user_id, challenge_id) values (p_user_id, c.id) on conflict do nothing;
    select * into v_progress from challenges.progress where user_id = p_user_id and challenge_id = c.id for update;
    if v_progress.completed_at is null and challenges.status_for(p_user_id, c) = 'locked' then
        raise exception 'challenge % is locked: complete the one before it first', p_slug using errcode = 'XP409';
    end if;
    select slug into v_next from challenges.challenges where active and position > c.position order by position limit 1;
    if not coalesce(p_passed, false) then
        update challenges.progress set attempts = attempts + 1 where user_id = p_user_id and challenge_id = c.id;
        return jsonb_build_object('status', 'failed', 'xp_awarded', 0, 'stars', v_progress.best_stars, 'next_slug', null);
    end if;
    v_stars := greatest(1, 3 - case when p_duration_s is not null and p_duration_s > 2 * c.target_time_s then 1 else 0 end
                             - greatest(coalesce(p_hints_used, 0), 0));
    update challenges.progress set
        attempts = attempts + 1,
        best_stars = greatest(coalesce(best_stars, 0), v_stars),
        hints_used = least(coalesce(hints_used, p_hints_used), p_hints_used),
        completed_at = coalesce(completed_at, now())
    where user_id = p_user_id and challenge_id = c.id;
    if v_progress.completed_at is not null then
        return jsonb_build_object('status', 'already_completed', 'xp_awarded', 0,
            'stars', greatest(coalesce(v_progress.best_stars, 0), v_stars), 'next_slug', v_next);
    end if;
    v_xp := xp.award_fixed(p_user_id, 'cyber', c.xp_reward, 'challenge', p_user_id || ':' || c.slug, now(),
                           jsonb_build_object('challenge', c.slug, 'stars', v_stars));
    if c.coin_reward > 0 then
        perform store.credit_coins(p_user_id, c.coin_reward, 'challenge', p_user_id || ':' || c.slug,
                                   jsonb_build_object('challenge', c.slug));
    end if;
    perform notify.enqueue(p_user_id, 'challenge_completed', format('Solved: %s', c.title),
        format('%s stars, %s XP.', v_stars, c.xp_reward), jsonb_build_object('challenge', c.slug, 'stars', v_stars),
        'challenge:' || c.slug);
    return jsonb_build_object('status', 'completed', 'xp_awarded', (v_xp->>'xp_awarded')::int, 'stars', v_stars,
                              'next_slug', v_next);
end;
$$;
""",
    'challenges/get_for.sql': """-- drop: drop function if exists challenges.get_for(uuid, text);
-- One challenge for a player: description and starter code, never the hidden tests; XP403
-- while it is locked.
create or replace function challenges.get_for(p_user_id uuid, p_slug text)
returns jsonb
language plpgsql
stable
as $$
declare
    c challenges.challenges;
    v_status text;
begin
    select * into c from challenges.challenges where slug = p_slug and active;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404';
    end if;
    v_status := challenges.status_for(p_user_id, c);
    if v_status = 'locked' then
        raise exception 'challenge % is locked: complete the one before it first', p_slug using errcode = 'XP403';
    end if;
    return jsonb_build_object('slug', c.slug, 'title', c.title, 'order', c.position, 'xp_reward', c.xp_reward,
        'coin_reward', c.coin_reward, 'status', v_status, 'description', c.description_md,
        'starter_code', c.starter_code, 'target_time_s', c.target_time_s,
        'stars', (select best_stars from challenges.progress p where p.user_id = p_user_id and p.challenge_id = c.id));
end;
$$;
""",
    'challenges/judge_view.sql': """-- drop: drop function if exists challenges.judge_view(text);
-- What the trusted judge needs: the challenge with its hidden tests.
create or replace function challenges.judge_view(p_slug text)
returns jsonb
language plpgsql
stable
as $$
declare
    c challenges.challenges;
begin
    select * into c from challenges.challenges where slug = p_slug;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404';
    end if;
    return jsonb_build_object('slug', c.slug, 'title', c.title, 'order', c.position, 'starter_code', c.starter_code,
        'tests', c.hidden_tests, 'target_time_s', c.target_time_s, 'active', c.active);
end;
$$;
""",
    'challenges/list_for.sql': """-- drop: drop function if exists challenges.list_for(uuid);
-- The catalog for a player (never the hidden tests).
create or replace function challenges.list_for(p_user_id uuid)
returns jsonb
language plpgsql
stable
as $$
begin
    return (select coalesce(jsonb_agg(jsonb_build_object(
        'slug', c.slug, 'title', c.title, 'order', c.position, 'xp_reward', c.xp_reward, 'coin_reward', c.coin_reward,
        'status', challenges.status_for(p_user_id, c),
        'stars', (select best_stars from challenges.progress p where p.user_id = p_user_id and p.challenge_id = c.id))
        order by c.position), '[]'::jsonb)
    from challenges.challenges c where c.active);
end;
$$;
""",
    'challenges/patch.sql': """-- drop: drop function if exists challenges.patch(text, jsonb);
-- Changes only the given fields of a challenge (admin PATCH); XP404 if unknown.
create or replace function challenges.patch(p_slug text, p jsonb)
returns jsonb
language plpgsql
volatile
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
        raise exception 'no challenge %', p_slug using errcode = 'XP404';
    end if;
    return jsonb_build_object('slug', c.slug, 'order', c.position, 'xp_reward', c.xp_reward, 'active', c.active);
end;
$$;
""",
    'challenges/start.sql': """-- drop: drop function if exists challenges.start(uuid, text);
-- Records when a player first opened a challenge (once; later starts change nothing).
create or replace function challenges.start(p_user_id uuid, p_slug text)
returns void
language plpgsql
volatile
as $$
declare
    c challenges.challenges;
begin
    select * into c from challenges.challenges where slug = p_slug and active;
    if not found then
        raise exception 'no challenge %', p_slug using errcode = 'XP404';
    end if;
    if challenges.status_for(p_user_id, c) = 'locked' then
        raise exception 'challenge % is locked', p_slug using errcode = 'XP403';
    end if;
    insert into challenges.progress (user_id, challenge_id, started_at) values (p_user_id, c.id, now())
    on conflict (user_id, challenge_id) do update set started_at = coalesce(challenges.progress.started_at, now());
end;
$$;
""",
    'challenges/status_for.sql': """-- drop: drop function if exists challenges.status_for(uuid, challenges.challenges);
-- locked | unlocked | completed for a user: challenge n is available once the active
-- challenge before it (by position) is completed; the first is always available.
create or replace function challenges.status_for(p_user_id uuid, c challenges.challenges)
returns text
language sql
stable
as $$
    select case
        when exists (select 1 from challenges.progress p
                     where p.user_id = p_user_id and p.challenge_id = c.id and p.completed_at is not null) then 'completed'
        when not exists (select 1 from challenges.challenges b where b.active and b.position < c.position) then 'unlocked'
        when exists (select 1 from challenges.progress p
                     join challenges.challenges b on b.id = p.challenge_id
                     where p.user_id = p_user_id and p.completed_at is not null
                       and b.position = (select max(x.position) from challenges.challenges x
                                         where x.active and x.position < c.position)) then 'unlocked'
        else 'locked' end;
$$;
""",
    'challenges/upsert.sql': """-- drop: drop function if exists challenges.upsert(jsonb);
-- Creates or updates a challenge by slug (the seed and admin use this); progress is never
-- touched. xp_reward defaults to position x 10.
create or replace function challenges.upsert(p jsonb)
returns jsonb
language sql
volatile
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
""",
}

PREVIOUS: dict[str, str | None] = {
    'challenges/complete.sql': None,
    'challenges/get_for.sql': None,
    'challenges/judge_view.sql': None,
    'challenges/list_for.sql': None,
    'challenges/patch.sql': None,
    'challenges/start.sql': None,
    'challenges/status_for.sql': None,
    'challenges/upsert.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

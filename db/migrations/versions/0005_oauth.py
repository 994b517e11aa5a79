"""oauth sign-in; season rank snapshots

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 00:01:41 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

SCHEMA_UP = """
-- Rank snapshots: rebuilt by a job beside the live scores; xp.rank_generations points at the
-- current generation of each season, so a rebuild never blocks or confuses readers. Derived
-- data, rebuilt every few seconds: unlogged (no WAL); after a crash it is empty until the next
-- rebuild and ranks are counted live meanwhile.
create sequence xp.rank_generation;
create unlogged table xp.rank_snapshot (
    generation bigint not null,
    season_id  text not null,
    mode       text not null,
    user_id    uuid not null,
    rank       bigint not null,
    xp         bigint not null,
    primary key (generation, season_id, mode, user_id)
);
-- "the weakest entry still ahead of me": smallest xp above mine, last rank among its ties
create index rank_snapshot_by_xp on xp.rank_snapshot (generation, season_id, mode, xp, rank desc);
create unlogged table xp.rank_generations (
    season_id    text primary key,
    generation   bigint not null,
    generated_at timestamptz not null,
    rows         bigint not null
);
"""

SCHEMA_DOWN = """
drop table xp.rank_generations;
drop table xp.rank_snapshot;
drop sequence xp.rank_generation;
"""

FUNCTIONS: dict[str, str] = {
    'auth/oauth_login.sql': """-- drop: drop function if exists auth.oauth_login(text, text, text, boolean, text, text, text);
-- Signs in through an OAuth provider's identity (provider, subject):
--  - a known identity signs its user in;
--  - a new identity links to an existing user by e-mail ONLY when the provider says the
--    address is verified (the original linked unverified addresses: account takeover);
--  - otherwise a new user is created (an unverified address is not stored on it).
-- Discord identities also set the user's discord_id when nobody else holds it.
create or replace function auth.oauth_login(
    p_provider text, p_subject text, p_email text, p_email_verified boolean,
    p_username_hint text, p_display_name text, p_avatar_url text
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_user app.users;
    v_email text := case when p_email_verified then lower(nullif(p_email, '')) end;
begin
    select u.* into v_user from auth.identities i join app.users u on u.id = i.user_id
     where i.provider = p_provider and i.subject = p_subject and u.deleted_at is null;
    if not found then
        if v_email is not null then
            select * into v_user from app.users where lower(email) = v_email and deleted_at is null;
        end if;
        if v_user.id is null then
            insert into app.users (username, email, display_name, avatar_url)
            values (auth.unique_username(coalesce(nullif(p_username_hint, ''), split_part(p_email, '@', 1))),
                    v_email, left(p_display_name, 64), p_avatar_url)
            returning * into v_user;
        end if;
        insert into auth.identities (provider, subject, user_id, email, email_verified)
        values (p_provider, p_subject, v_user.id, lower(p_email), coalesce(p_email_verified, false))
        on conflict (provider, subject) do update set user_id = excluded.user_id;
    end if;
    update auth.identities set last_login_at = now(), email = lower(p_email), email_verified = coalesce(p_email_verified, false)
     where provider = p_provider and subject = p_subject;
    if p_provider = 'discord' and v_user.discord_id is distinct from p_subject
       and not exists (select 1 from app.users where discord_id = p_subject and id <> v_user.id) then
        update app.users set discord_id = p_subject, updated_at = now() where id = v_user.id returning * into v_user;
    end if;
    return auth.user_json(v_user);
end;
$$;
""",
    'xp/rebuild_ranks.sql': """-- drop: drop function if exists xp.rebuild_ranks(text);
-- Rebuilds the rank snapshot of one season (both modes) from xp.season_scores: exact
-- competition ranks on the total order (xp desc, reached_at, user_id). The new rows are
-- written beside the old ones under a new generation number, then the pointer flips in one
-- short update, so readers never wait on a rebuild and never see half of one; old generations
-- are deleted afterwards. Returns the number of ranked rows.
create or replace function xp.rebuild_ranks(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_generation bigint := nextval('xp.rank_generation');
    v_rows bigint;
begin
    insert into xp.rank_snapshot (generation, season_id, mode, user_id, rank, xp)
    select v_generation, season_id, mode, user_id,
           row_number() over (partition by mode order by xp desc, reached_at, user_id), xp
    from xp.season_scores
    where season_id = p_season and xp > 0;
    get diagnostics v_rows = row_count;
    insert into xp.rank_generations as g (season_id, generation, generated_at, rows)
    values (p_season, v_generation, now(), v_rows)
    on conflict (season_id) do update set generation = excluded.generation, generated_at = excluded.generated_at,
                                          rows = excluded.rows;
    delete from xp.rank_snapshot where season_id = p_season and generation < v_generation;
    -- fresh statistics, or the planner may probe the snapshot by the wrong index
    analyze xp.rank_snapshot;
    return v_rows;
end;
$$;
""",
    'xp/season_standing.sql': """-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank, generated_at} of a user in a season and mode; rank null without XP this season.
-- The rank comes from the latest snapshot (exact as of generated_at). A user whose XP moved
-- since is placed just behind the snapshot's weakest entry still ahead of them: one index
-- probe, never a count over the board. Before a season's first snapshot the rank is counted
-- live on the ranking index. Each step is its own statement so it is planned with its values.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language plpgsql
stable
as $$
declare
    v_xp bigint;
    v_reached timestamptz;
    v_generation bigint;
    v_generated_at timestamptz;
    v_rank bigint;
    v_snap_xp bigint;
begin
    select xp, reached_at into v_xp, v_reached from xp.season_scores
     where season_id = p_season and mode = p_mode and user_id = p_user_id;
    if coalesce(v_xp, 0) = 0 then
        return jsonb_build_object('xp', 0, 'rank', null);
    end if;
    select generation, generated_at into v_generation, v_generated_at from xp.rank_generations
     where season_id = p_season;
    if v_generation is null then
        select 1 + count(*) into v_rank from xp.season_scores
         where season_id = p_season and mode = p_mode
           and (xp > v_xp or (xp = v_xp and (reached_at, user_id) < (v_reached, p_user_id)));
        return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', now());
    end if;
    select rank, xp into v_rank, v_snap_xp from xp.rank_snapshot
     where generation = v_generation and season_id = p_season and mode = p_mode and user_id = p_user_id;
    if v_snap_xp is distinct from v_xp then
        select rank into v_rank from xp.rank_snapshot
         where generation = v_generation and season_id = p_season and mode = p_mode and xp > v_xp
         order by xp, rank desc limit 1;
        v_rank := coalesce(v_rank, 0) + 1;
    end if;
    return jsonb_build_object('xp', v_xp, 'rank', v_rank, 'generated_at', v_generated_at);
end;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'auth/oauth_login.sql': None,
    'xp/rebuild_ranks.sql': None,
    'xp/season_standing.sql': """-- drop: drop function if exists xp.season_standing(text, text, uuid);
-- {xp, rank} of a user in a season and mode; rank is null without XP this season. Exact rank
-- on the total order (xp desc, reached_at, user_id): two range counts on the ranking index.
create or replace function xp.season_standing(p_season text, p_mode text, p_user_id uuid)
returns jsonb
language sql
stable
as $$
    select coalesce(
        (select jsonb_build_object('xp', s.xp, 'rank', case when s.xp > 0 then 1
                + (select count(*) from xp.season_scores o
                   where o.season_id = s.season_id and o.mode = s.mode and o.xp > s.xp)
                + (select count(*) from xp.season_scores o
                   where o.season_id = s.season_id and o.mode = s.mode and o.xp = s.xp
                     and (o.reached_at, o.user_id) < (s.reached_at, s.user_id)) end)
         from xp.season_scores s
         where s.season_id = p_season and s.mode = p_mode and s.user_id = p_user_id),
        jsonb_build_object('xp', 0, 'rank', null));
$$;
""",
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

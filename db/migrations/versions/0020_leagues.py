"""leagues: seasonal divisions per mode, with promotion and relegation per cohort (issue 17)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 09:43:22 UTC

Schema `leagues`, separate from layers: the tiers of each mode (operator-edited in SQL), their
optional coin rewards by rank band, each season's cohorts and members (joined on the season's
first XP in the mode, leagues.join from xp.book), the frozen results of each close (leagues.close
from seasons.close, exactly once per season and mode: leagues.closes), each user's tier for
their next season (leagues.placements), and the first joins that wait for the previous
season's close (leagues.pending). The outbox learns the kind `league_result`. The default
tiers are loaded here, once; docs/leagues.md has the rules. Roll-forward only: undoing this is a
new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SCHEMA = """
create schema leagues;
comment on schema leagues is 'xpcore leagues: seasonal divisions per mode, cohorts, promotion and relegation';

-- The tiers of a mode, bottom (lowest position) to top. Operators edit these rows in SQL; a
-- cohort keeps the size it was opened with, and a close reads the percentages as they are then.
create table leagues.tiers (
    mode         text not null check (mode in ('reality', 'cyber')),
    position     integer not null check (position between 1 and 100),
    code         text not null check (code ~ '^[a-z][a-z0-9_]{0,31}$'),
    name         text not null check (char_length(name) between 1 and 64),
    cohort_size  integer not null default 30 check (cohort_size between 1 and 1000),
    promote_pct  numeric not null default 0.10 check (promote_pct between 0 and 1),
    demote_pct   numeric not null default 0.20 check (demote_pct between 0 and 1),
    min_members  integer not null default 10 check (min_members >= 1),
    primary key (mode, position),
    unique (mode, code)
);

-- Optional coins by final rank band in a cohort of the tier (store.credit_coins, source bonus).
create table leagues.rewards (
    mode      text not null,
    position  integer not null,
    from_rank integer not null check (from_rank >= 1),
    to_rank   integer not null,
    coins     integer not null check (coins between 1 and 1000000),
    primary key (mode, position, from_rank),
    check (to_rank >= from_rank),
    foreign key (mode, position) references leagues.tiers (mode, position) on delete cascade
);

-- A season's cohorts of a tier, filled in order of joining up to capacity.
create table leagues.cohorts (
    id         bigint generated always as identity primary key,
    season_id  text not null references xp.seasons (id),
    mode       text not null check (mode in ('reality', 'cyber')),
    tier       integer not null,
    seq        integer not null,
    capacity   integer not null check (capacity >= 1),
    members    integer not null default 0,
    created_at timestamptz not null default now(),
    unique (season_id, mode, tier, seq),
    check (members between 0 and capacity)
);

-- The tier's open cohort: the row joins lock, so a tier's cohorts fill one at a time, in order.
create table leagues.openings (
    season_id text not null,
    mode      text not null,
    tier      integer not null,
    cohort_id bigint references leagues.cohorts (id),
    primary key (season_id, mode, tier)
);

-- Who is in which cohort: once per (season, mode, user).
create table leagues.members (
    season_id text not null,
    mode      text not null,
    user_id   uuid not null references app.users (id),
    cohort_id bigint not null references leagues.cohorts (id),
    tier      integer not null,
    seat      integer not null,
    joined_at timestamptz not null default clock_timestamp(),
    primary key (season_id, mode, user_id),
    unique (cohort_id, seat)
);

-- First XP of a season while the previous season's close of the mode is still to come, by a
-- user whose tier it decides: seated once that close ran (leagues.seat_pending), in this order.
create table leagues.pending (
    season_id text not null,
    mode      text not null,
    user_id   uuid not null references app.users (id),
    at        timestamptz not null default clock_timestamp(),
    primary key (season_id, mode, user_id)
);

-- A season's close of a mode, once.
create table leagues.closes (
    season_id text not null references xp.seasons (id),
    mode      text not null check (mode in ('reality', 'cyber')),
    closed_at timestamptz not null default now(),
    primary key (season_id, mode)
);

-- Final league standings, frozen at the close: members (cohort and rank) and the placed users
-- who earned nothing that season (cohort_id and rank null, zone inactive).
create table leagues.results (
    season_id text not null references xp.seasons (id),
    mode      text not null check (mode in ('reality', 'cyber')),
    user_id   uuid not null references app.users (id),
    cohort_id bigint references leagues.cohorts (id),
    tier      integer not null,
    members   integer,
    rank      integer,
    xp        bigint not null,
    zone      text not null check (zone in ('promotion', 'demotion', 'none', 'inactive')),
    move      text not null check (move in ('promoted', 'demoted', 'stayed')),
    next_tier integer not null,
    coins     integer not null default 0,
    primary key (season_id, mode, user_id)
);
create index results_cohort on leagues.results (cohort_id, rank);

-- Each user's tier for their next season in a mode, set by the latest close that placed them.
-- No row: the bottom tier.
create table leagues.placements (
    mode      text not null check (mode in ('reality', 'cyber')),
    user_id   uuid not null references app.users (id),
    tier      integer not null,
    season_id text not null,
    primary key (mode, user_id)
);

insert into leagues.tiers (mode, position, code, name)
select m.mode, t.position, lower(t.name), t.name
from (values ('reality'), ('cyber')) m (mode),
     (values (1, 'Bronze'), (2, 'Silver'), (3, 'Gold'), (4, 'Platinum'), (5, 'Diamond'), (6, 'Master')) t (position, name);

alter table notify.outbox drop constraint outbox_kind_known;
alter table notify.outbox add constraint outbox_kind_known check (kind in (
    'level_up', 'layer_up', 'season_final_standing', 'purchase_completed',
    'payment_credited', 'broadcast', 'challenge_completed', 'achievement_unlocked', 'league_result'
));
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)

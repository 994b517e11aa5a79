"""achievement counters: awards keep one counter per (user, activity), not a row per achievement

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 12:00:00 UTC

An award used to upsert one `engage.progress` row (and probe its tiers) for every active
achievement it could move: with the 36 shipped achievements active, awards ran at half the
bare baseline. Now the award kinds keep no per-achievement progress:

- totals kinds (`total_xp`, `mode_xp`, `level`, `layer`) read their value from `xp.totals`;
  an award only probes the tiers crossed between its totals before and after
  (`tiers_by_threshold`), which is usually none;
- activity kinds (`activity_events`, `activity_units`) share one `engage.counters` row per
  (user, activity): one upsert per award, whatever the number of achievements on that activity.

`engage.progress` keeps the kinds moved by other events (challenges, purchases, season ranks).
Its rows for the award kinds go; the tiers they unlocked stay in `engage.unlocks`. Counters are
filled from the ledger here, set-based, for the activities an active achievement counts (others
start when one is activated: activation restarts its back-fill). Roll-forward only.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SCHEMA = """
create table engage.counters (
    user_id      uuid not null references app.users (id) on delete cascade,
    activity_key text not null,
    events       bigint not null default 0,   -- ledger rows of the activity (a capped one too)
    units        numeric not null default 0,  -- units after the daily cap, as the ledger records
    updated_at   timestamptz not null default now(),
    primary key (user_id, activity_key)
);
comment on table engage.counters is
    'per user and activity: events and units, kept by engage.on_award while an active achievement counts the activity';

-- The crossing probe: an achievement's tiers between an award's value before and after.
create index tiers_by_threshold on engage.tiers (achievement_id, threshold);

insert into engage.counters (user_id, activity_key, events, units)
select l.user_id, l.activity_key, count(*), coalesce(sum(l.units), 0)
  from xp.ledger l
 where l.activity_key in (select e.activity_key from engage.achievements e
                           where e.active and e.kind in ('activity_events', 'activity_units'))
 group by l.user_id, l.activity_key;

delete from engage.progress p using engage.achievements a
 where a.id = p.achievement_id
   and a.kind in ('total_xp', 'mode_xp', 'level', 'layer', 'activity_events', 'activity_units');
comment on table engage.progress is
    'per user and achievement, for the kinds other events move (challenges, purchases, season ranks); award kinds read xp.totals and engage.counters';
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)

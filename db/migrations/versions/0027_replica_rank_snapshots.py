"""xp: logged rank snapshots a streaming replica can read (issue 18, own rank and around-me on replicas)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 15:00:00 UTC

The rank snapshots (xp.rank_slot_1..4, xp.rank_generations) are unlogged: no WAL, so a
standby cannot read them ("cannot access temporary or unlogged relations during recovery").
When replicas are configured the board job also publishes, at a slower cadence
(RANK_REPLICA_SNAPSHOT_EVERY_S), a logged copy of a board's current snapshot
(xp.publish_replica_board): four more slot tables, xp.rank_slot_5..8, taken two per board with
the same slot/spare/flip scheme, and a logged pointer table. On a standby xp.season_standing
and seasons.around read these instead. `stale_after` is when the publisher says the copy is
too old to serve (it missed two publishes): a standby then sends the read to the primary.
Roll-forward only: undoing this is a new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SCHEMA = """
create table xp.replica_rank_generations (
    season_id    text not null,
    mode         text not null check (mode in ('reality', 'cyber')),
    generation   bigint not null,
    generated_at timestamptz not null,
    stale_after  timestamptz not null,
    rows         bigint not null,
    slot         integer not null check (slot between 5 and 8),
    spare_slot   integer check (spare_slot between 5 and 8),
    primary key (season_id, mode)
);
create table xp.rank_slot_5 (like xp.rank_slot_1);
create table xp.rank_slot_6 (like xp.rank_slot_1);
create table xp.rank_slot_7 (like xp.rank_slot_1);
create table xp.rank_slot_8 (like xp.rank_slot_1);
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)

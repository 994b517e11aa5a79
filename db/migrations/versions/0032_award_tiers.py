"""engage.award_tiers: the tiers an award can cross, flat (issue 16, the bench goal)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-08 02:00:00 UTC

Every award with an active achievement probes the tiers it crossed (engage.on_award). The probe
joined engage.achievements to engage.tiers and chose each tier's value by the achievement's
kind: a hash join, a CASE per row and three ordered aggregates, about 42 us for an award that
crosses nothing (the usual award). One row per active tier of the award kinds (total_xp, mode_xp,
level, layer, activity_events, activity_units), with the kind, the mode it needs and the activity
it counts beside the threshold, is a scan of one small table: about 21-25 us alone, some 7 us less
per award in the whole hook.

The table is derived: statement triggers on engage.achievements and engage.tiers rebuild it
(db/functions/engage/award_tiers_refresh.sql), so the admin API, the seed and an operator's own
UPDATE all keep it in step, in their transaction. It is filled by db/after_migrate.sql, which
rebuilds it after every upgrade (engage.award_tiers_rebuild: the same rule, one place). Roll-forward only, as every xpcore revision; a later revision undoing
this would drop the table (and the file its triggers come from).
"""

from src.migrations import roll_forward_only, run_sql

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

UPGRADE = """
create table engage.award_tiers (
    achievement_id bigint   not null,
    tier           smallint not null,
    kind           text     not null,
    mode           text,     -- the award's mode the tier needs (mode_xp, layer), else null
    activity_key   text,     -- the activity the tier counts (activity_events, activity_units), else null
    threshold      numeric  not null,
    name           text     not null,
    primary key (achievement_id, tier)
);
comment on table engage.award_tiers is
    'the active tiers an award can cross, one row each (derived from engage.achievements and engage.tiers by triggers)';
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    roll_forward_only(revision)

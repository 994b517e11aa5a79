"""user timezone and the streak and quest kinds (issue 16)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 11:45:00 UTC

`app.users.timezone` holds an IANA name (`Europe/Berlin`); every user starts on UTC. A check
constraint cannot consult `pg_timezone_names` (it is not immutable), so `app.user_update`
refuses a name PostgreSQL does not know. Adding a column with a constant default rewrites no
rows.

The names streaks and quests (issue 16) write are allowed here, once, so that their own
revisions add tables only: the outbox kinds `streak_milestone` and `quest_completed`, the
ledger source `quest` (a completed quest pays XP) and the achievement kind `streak` (a streak
length reached). Roll-forward only: undoing this is a new revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

SCHEMA = """
alter table app.users add column timezone text not null default 'UTC'
    check (char_length(timezone) between 1 and 64);
comment on column app.users.timezone is 'IANA time zone of the user (streak days, quest periods); UTC by default';

alter table notify.outbox drop constraint outbox_kind_known;
alter table notify.outbox add constraint outbox_kind_known check (kind in (
    'level_up', 'layer_up', 'season_final_standing', 'purchase_completed',
    'payment_credited', 'broadcast', 'challenge_completed', 'achievement_unlocked', 'league_result',
    'streak_milestone', 'quest_completed'
));

alter table xp.ledger drop constraint ledger_source_check;
alter table xp.ledger add constraint ledger_source_check check (source in (
    'activity', 'self_report', 'bot', 'challenge', 'adjustment', 'purchase', 'quest'));

alter table engage.achievements drop constraint achievements_kind_check;
alter table engage.achievements add constraint achievements_kind_check check (kind in (
    'total_xp', 'mode_xp', 'level', 'layer', 'activity_events', 'activity_units',
    'challenges_completed', 'challenge_stars', 'season_rank', 'purchases', 'streak'));
"""


def upgrade() -> None:
    run_sql(SCHEMA)


def downgrade() -> None:
    roll_forward_only(revision)

"""leagues: the season's close in four batched phases, its notifications in user order (issue 17)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 13:00:00 UTC

A season's close of a mode now runs as four phases of `leagues.close_batch`, each a series of
short transactions resumable from `leagues.closing`: the board's final standings (a keyset walk
of the ranking index: the `rank_*` cursor columns), the cohorts (ranks and results only), a walk
of the user ids in order that writes the placements and the idle users' results (then the mode's
close is recorded in leagues.closes), and a second walk that writes both notifications of each
user (league result, final standing). Written in user order, the outbox's per-user indexes and
the results and placements keys are touched page by page instead of at random
(bench/results/leagues.md).

`notify.outbox` drops its foreign key to app.users, and `seasons.final_standings` its two (to
the user and the season): users are never deleted (DELETE /users/me anonymises the row), every
writer takes the user id from a row that already references the user (a final standing is a
season_scores line), and the check (an index probe and a KEY SHARE lock that dirties the
referenced row) was half the cost of a notification row and of a standings row.

A close under way when this runs would be resumed by the new phases, which write the
notifications its old batches already wrote: the upgrade refuses while one is under way (let
the seasons cron finish it first). Roll-forward only (tests/test_migrations.py): undoing this is a
new revision that re-adds the three foreign keys and the old phases, with no close under way.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

NO_CLOSE_UNDER_WAY = """
do $$
begin
    if exists (select from leagues.closing) then
        raise exception 'a league close is under way (leagues.closing): let the seasons cron finish it, then upgrade';
    end if;
end;
$$;
"""

UPGRADE = (
    NO_CLOSE_UNDER_WAY
    + """
alter table notify.outbox drop constraint outbox_user_id_fkey;
alter table seasons.final_standings drop constraint final_standings_season_id_fkey;
alter table seasons.final_standings drop constraint final_standings_user_id_fkey;

alter table leagues.closing drop constraint closing_phase_check;
alter table leagues.closing alter column phase set default 'standings';
alter table leagues.closing add constraint closing_phase_check check (phase in ('standings', 'cohorts', 'users', 'notes'));
-- the standings walk's cursor: lines ranked so far, and the last one's board order key
alter table leagues.closing add column ranked bigint not null default 0;
alter table leagues.closing add column rank_xp bigint;
alter table leagues.closing add column rank_reached timestamptz;
alter table leagues.closing add column rank_user uuid;
comment on table leagues.closing is 'Season closes under way: the progress cursor of each (season, mode) through its phases (standings, cohorts, users, notes), deleted when its notifications are written (leagues.closes records the close at the end of the users phase)';
"""
)

def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    roll_forward_only(revision)

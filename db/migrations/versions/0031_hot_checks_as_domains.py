"""The outbox's and the coins' CHECK constraints become domain constraints (issue 16, the bench goal)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08 01:40:00 UTC

PostgreSQL reads a table's CHECK constraints from their stored text at every statement that
writes the table (ExecRelCheck: stringToNode and expression_planner per execution, cached plan
or not), while a domain's constraints are compiled once per connection (the type cache). perf on
an award with achievements and quests put 10% of the backend's CPU in ExecConstraints; a loop of
`notify.enqueue` cost 45 us an insert with the outbox's three CHECKs and 28 us with the same
rules as domains (bench/README.md). These tables take a row from every unlock, quest reward and
level-up inside the award's transaction, one statement per row, so the rules move to domains:

- notify.outbox: kind (the known kinds), title (1-200 characters), body (at most 2,000);
- store.coin_ledger: source (the coin sources), amount (not 0);
- store.wallets: balance and debt (never negative).

The same values pass and fail as before, with the same SQLSTATE (23514, check_violation); the
message names the domain. Without a rewrite: each column first takes a domain with no
constraint (binary coercible, so the table and its indexes are kept), then the constraint is
added NOT VALID and validated (one scan, no rewrite). Adding a notification kind now alters the
domain: `alter domain notify.outbox_kind drop constraint outbox_kind_known, add constraint
outbox_kind_known check (value in (...))`. Roll-forward only, as every xpcore revision.
"""

from src.migrations import roll_forward_only, run_sql

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

UPGRADE = """
create domain notify.outbox_kind as text;
create domain notify.outbox_title as text;
create domain notify.outbox_body as text;
alter table notify.outbox
    alter column kind type notify.outbox_kind,
    alter column title type notify.outbox_title,
    alter column body type notify.outbox_body;
alter domain notify.outbox_kind add constraint outbox_kind_known check (value in (
    'level_up', 'layer_up', 'season_final_standing', 'purchase_completed', 'payment_credited',
    'broadcast', 'challenge_completed', 'achievement_unlocked', 'league_result', 'streak_milestone',
    'quest_completed')) not valid;
alter domain notify.outbox_title add constraint outbox_title_length check (char_length(value) between 1 and 200) not valid;
alter domain notify.outbox_body add constraint outbox_body_length check (char_length(value) <= 2000) not valid;
alter domain notify.outbox_kind validate constraint outbox_kind_known;
alter domain notify.outbox_title validate constraint outbox_title_length;
alter domain notify.outbox_body validate constraint outbox_body_length;
alter table notify.outbox
    drop constraint outbox_kind_known,
    drop constraint outbox_title_length,
    drop constraint outbox_body_length;

create domain store.coin_source as text;
create domain store.coin_amount as integer;
create domain store.coin_count as bigint;
alter table store.coin_ledger
    alter column source type store.coin_source,
    alter column amount type store.coin_amount;
alter table store.wallets
    alter column balance type store.coin_count,
    alter column debt type store.coin_count;
alter domain store.coin_source add constraint coin_source_known check (value in (
    'payment', 'challenge', 'admin', 'bonus', 'purchase', 'refund')) not valid;
alter domain store.coin_amount add constraint coin_amount_not_zero check (value <> 0) not valid;
alter domain store.coin_count add constraint coin_count_not_negative check (value >= 0) not valid;
alter domain store.coin_source validate constraint coin_source_known;
alter domain store.coin_amount validate constraint coin_amount_not_zero;
alter domain store.coin_count validate constraint coin_count_not_negative;
alter table store.coin_ledger drop constraint coin_ledger_source_check, drop constraint coin_ledger_amount_check;
alter table store.wallets drop constraint wallets_balance_check, drop constraint wallets_debt_check;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    roll_forward_only(revision)

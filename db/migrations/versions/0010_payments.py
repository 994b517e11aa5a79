"""razorpay payments

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 00:59:58 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SCHEMA_UP = """
-- Our order for a coin pack; Razorpay's order id is attached once it exists.
create table store.payment_orders (
    id                uuid primary key default gen_random_uuid(),
    user_id           uuid not null references app.users (id),
    pack_id           text not null references store.coin_packs (id),
    amount_paise      integer not null check (amount_paise > 0),
    currency          text not null,
    coins             integer not null check (coins > 0),
    razorpay_order_id text unique,
    status            text not null default 'creating' check (status in ('creating', 'created', 'paid', 'refunded')),
    payment_id        text unique,
    credited_via      text,
    created_at        timestamptz not null default now(),
    paid_at           timestamptz
);
create index payment_orders_pending on store.payment_orders (created_at) where status = 'created';

-- Webhook deliveries already handled (Razorpay retries and may send an event twice).
create table store.webhook_events (
    event_id    text primary key,
    event       text not null,
    received_at timestamptz not null default now()
);
"""

SCHEMA_DOWN = """
drop table store.webhook_events;
drop table store.payment_orders;
"""

FUNCTIONS: dict[str, str] = {
    'store/order_attach.sql': """-- drop: drop function if exists store.order_attach(uuid, text);
-- Attaches Razorpay's order id to ours once Razorpay created it.
create or replace function store.order_attach(p_order_id uuid, p_razorpay_order_id text)
returns void
language sql
volatile
as $$
    update store.payment_orders set razorpay_order_id = p_razorpay_order_id, status = 'created'
    where id = p_order_id and razorpay_order_id is null;
$$;
""",
    'store/order_create.sql': """-- drop: drop function if exists store.order_create(uuid, text);
-- Records our order for a coin pack before Razorpay is asked for its own (amount from the pack).
create or replace function store.order_create(p_user_id uuid, p_pack_id text)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_pack store.coin_packs;
    v_order store.payment_orders;
begin
    select * into v_pack from store.coin_packs where id = p_pack_id and active;
    if not found then
        raise exception 'no coin pack %', p_pack_id using errcode = 'XP404';
    end if;
    insert into store.payment_orders (user_id, pack_id, amount_paise, currency, coins)
    values (p_user_id, v_pack.id, v_pack.amount_paise, v_pack.currency, v_pack.coins)
    returning * into v_order;
    return jsonb_build_object('order_id', v_order.id, 'amount', v_order.amount_paise, 'currency', v_order.currency,
                              'coins', v_order.coins);
end;
$$;
""",
    'store/orders_to_reconcile.sql': """-- drop: drop function if exists store.orders_to_reconcile(integer);
-- Orders Razorpay knows that are still unpaid after p_age_s seconds (the user may have paid
-- and closed the browser before we heard): the reconciliation job asks Razorpay about them.
create or replace function store.orders_to_reconcile(p_age_s integer)
returns setof text
language sql
stable
as $$
    select razorpay_order_id from store.payment_orders
    where status = 'created' and created_at < now() - make_interval(secs => p_age_s)
      and created_at > now() - interval '7 days'
    order by created_at limit 500;
$$;
""",
    'store/payment_credit.sql': """-- drop: drop function if exists store.payment_credit(text, text, integer, uuid, text);
-- Credits the coins of a paid order exactly once, whoever reports it first: the checkout
-- verification (p_user_id: the caller, who must own the order), the webhook or reconciliation
-- (p_user_id null). The order row lock serialises reporters; the amount must match the order.
-- Answers {status: credited | already_credited, coins, user_id}.
create or replace function store.payment_credit(
    p_razorpay_order_id text, p_payment_id text, p_amount_paise integer, p_user_id uuid, p_via text
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_order store.payment_orders;
    v_credit jsonb;
begin
    select * into v_order from store.payment_orders where razorpay_order_id = p_razorpay_order_id for update;
    if not found then
        raise exception 'no order %', p_razorpay_order_id using errcode = 'XP404';
    end if;
    if p_user_id is not null and v_order.user_id <> p_user_id then
        raise exception 'order % is not yours', p_razorpay_order_id using errcode = 'XP403';
    end if;
    if v_order.status in ('paid', 'refunded') then
        return jsonb_build_object('status', 'already_credited', 'user_id', v_order.user_id,
            'coins', (select balance from store.wallets where user_id = v_order.user_id));
    end if;
    if p_amount_paise is not null and p_amount_paise <> v_order.amount_paise then
        raise exception 'paid % paise, the order is for %', p_amount_paise, v_order.amount_paise using errcode = 'XP422';
    end if;
    v_credit := store.credit_coins(v_order.user_id, v_order.coins, 'payment', 'order:' || v_order.id,
        jsonb_build_object('razorpay_order_id', p_razorpay_order_id, 'payment_id', p_payment_id, 'via', p_via));
    update store.payment_orders set status = 'paid', payment_id = p_payment_id, paid_at = now(), credited_via = p_via
     where id = v_order.id;
    perform notify.enqueue(v_order.user_id, 'payment_credited', format('%s coins added', v_order.coins),
        format('Your payment for %s coins went through.', v_order.coins),
        jsonb_build_object('coins', v_order.coins, 'order_id', v_order.id), 'payment:' || v_order.id);
    return jsonb_build_object('status', 'credited', 'user_id', v_order.user_id, 'coins', v_credit->'coins');
end;
$$;
""",
    'store/payment_refund.sql': """-- drop: drop function if exists store.payment_refund(text, integer);
-- Claws back the coins of a refunded payment (in proportion to the refunded amount), once.
-- The balance never goes negative: what cannot be taken back becomes a debt that blocks
-- spending until later credits pay it.
create or replace function store.payment_refund(p_payment_id text, p_refund_paise integer)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_order store.payment_orders;
    v_wallet store.wallets;
    v_coins integer;
begin
    select * into v_order from store.payment_orders where payment_id = p_payment_id for update;
    if not found then
        raise exception 'no credited payment %', p_payment_id using errcode = 'XP404';
    end if;
    if v_order.status = 'refunded' then
        return jsonb_build_object('status', 'already_refunded');
    end if;
    v_coins := ceil(v_order.coins * least(coalesce(p_refund_paise, v_order.amount_paise), v_order.amount_paise)::numeric
                    / v_order.amount_paise)::integer;
    v_wallet := store.lock_wallet(v_order.user_id);
    insert into store.coin_ledger (user_id, amount, source, idempotency_key, metadata)
    values (v_order.user_id, -v_coins, 'refund', 'refund:' || p_payment_id,
            jsonb_build_object('payment_id', p_payment_id, 'order_id', v_order.id));
    update store.wallets set
        balance = greatest(balance - v_coins, 0),
        debt = debt + greatest(v_coins - balance, 0),
        updated_at = now()
    where user_id = v_order.user_id
    returning * into v_wallet;
    update store.payment_orders set status = 'refunded' where id = v_order.id;
    return jsonb_build_object('status', 'refunded', 'coins', v_wallet.balance, 'debt', v_wallet.debt);
end;
$$;
""",
    'store/webhook_seen.sql': """-- drop: drop function if exists store.webhook_seen(text, text);
-- True the first time an event id arrives (it is then recorded), false for a replay.
create or replace function store.webhook_seen(p_event_id text, p_event text)
returns boolean
language sql
volatile
as $$
    with fresh as (
        insert into store.webhook_events (event_id, event) values (p_event_id, p_event)
        on conflict do nothing returning 1
    )
    select exists (select 1 from fresh);
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'store/order_attach.sql': None,
    'store/order_create.sql': None,
    'store/orders_to_reconcile.sql': None,
    'store/payment_credit.sql': None,
    'store/payment_refund.sql': None,
    'store/webhook_seen.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

"""coins and store

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 00:57:45 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SCHEMA_UP = """
create schema store;
comment on schema store is 'xpcore coins and store: wallet ledger, catalog, inventory, coin packs';

-- Balance never negative; a refund that cannot be taken back in full becomes a debt that
-- blocks spending until later credits pay it.
create table store.wallets (
    user_id    uuid primary key references app.users (id),
    balance    bigint not null default 0 check (balance >= 0),
    debt       bigint not null default 0 check (debt >= 0),
    updated_at timestamptz not null default now()
);

-- Append-only coin movements; the sum of a user's amounts is balance - debt.
create table store.coin_ledger (
    id              bigint generated always as identity primary key,
    user_id         uuid not null references app.users (id),
    amount          integer not null check (amount <> 0),
    source          text not null check (source in ('payment', 'challenge', 'admin', 'bonus', 'purchase', 'refund')),
    idempotency_key text not null,
    metadata        jsonb not null default '{}'::jsonb,
    created_at      timestamptz not null default now(),
    unique (source, idempotency_key)
);
create index coin_ledger_user on store.coin_ledger (user_id, id desc);

create table store.items (
    id          bigint generated always as identity primary key,
    slug        text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
    name        text not null,
    description text not null default '',
    category    text not null check (category in ('theme', 'font', 'effect', 'victory_animation', 'title', 'avatar_frame')),
    price_coins integer not null check (price_coins >= 0),
    data        jsonb not null default '{}'::jsonb,
    active      boolean not null default true,
    featured    boolean not null default false,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create table store.inventory (
    user_id     uuid not null references app.users (id),
    item_id     bigint not null references store.items (id),
    acquired_at timestamptz not null default now(),
    primary key (user_id, item_id)
);

create table store.equipped (
    user_id     uuid not null references app.users (id),
    category    text not null,
    item_id     bigint not null references store.items (id),
    equipped_at timestamptz not null default now(),
    primary key (user_id, category)
);

create table store.coin_packs (
    id           text primary key,
    amount_paise integer not null check (amount_paise > 0),
    currency     text not null default 'INR',
    coins        integer not null check (coins > 0),
    active       boolean not null default true
);
"""

SCHEMA_DOWN = """
drop schema store cascade;
"""

DATA_UP = """
select store.seed();
"""

FUNCTIONS: dict[str, str] = {
    'store/coin_packs.sql': """-- drop: drop function if exists store.coin_packs();
-- Coin packs for sale (Razorpay, INR).
create or replace function store.coin_packs()
returns jsonb
language sql
stable
as $$
    select coalesce(jsonb_agg(jsonb_build_object('id', id, 'amount_paise', amount_paise, 'currency', currency,
                                                 'coins', coins) order by amount_paise), '[]'::jsonb)
    from store.coin_packs where active;
$$;
""",
    'store/credit_coins.sql': """-- drop: drop function if exists store.credit_coins(uuid, integer, text, text, jsonb);
-- Credits coins exactly once per (source, idempotency key): a replay answers the original with
-- replayed = true. A debt left by a refund is paid off first. The wallet row lock orders all
-- of a user's coin movements, so balance always equals the ledger sum.
create or replace function store.credit_coins(
    p_user_id uuid, p_amount integer, p_source text, p_idempotency_key text, p_metadata jsonb default '{}'::jsonb
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_wallet store.wallets;
    v_entry bigint;
    v_done store.coin_ledger;
begin
    if p_amount is null or p_amount <= 0 or p_amount > 10000000 then
        raise exception 'amount must be between 1 and 10,000,000 coins' using errcode = 'XP422';
    end if;
    if p_source not in ('payment', 'challenge', 'admin', 'bonus') then
        raise exception 'source % cannot credit coins', p_source using errcode = 'XP422';
    end if;
    if not exists (select 1 from app.users where id = p_user_id and deleted_at is null) then
        raise exception 'no user %', p_user_id using errcode = 'XP404';
    end if;
    v_wallet := store.lock_wallet(p_user_id);
    select * into v_done from store.coin_ledger where source = p_source and idempotency_key = p_idempotency_key;
    if found then
        if v_done.user_id <> p_user_id then
            raise exception 'idempotency key % was already used for another user', p_idempotency_key using errcode = 'XP409';
        end if;
        return jsonb_build_object('entry_id', v_done.id, 'coins', v_wallet.balance, 'debt', v_wallet.debt, 'replayed', true);
    end if;
    insert into store.coin_ledger (user_id, amount, source, idempotency_key, metadata)
    values (p_user_id, p_amount, p_source, p_idempotency_key, coalesce(p_metadata, '{}'))
    returning id into v_entry;
    update store.wallets set
        balance = balance + greatest(p_amount - debt, 0),
        debt = greatest(debt - p_amount, 0),
        updated_at = now()
    where user_id = p_user_id
    returning * into v_wallet;
    return jsonb_build_object('entry_id', v_entry, 'coins', v_wallet.balance, 'debt', v_wallet.debt, 'replayed', false);
end;
$$;
""",
    'store/equip.sql': """-- drop: drop function if exists store.equip(uuid, text);
-- Equips an owned item: one per category (replacing what was there). XP404 if not owned.
create or replace function store.equip(p_user_id uuid, p_slug text)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_item store.items;
begin
    select i.* into v_item from store.items i join store.inventory v on v.item_id = i.id
     where i.slug = p_slug and v.user_id = p_user_id;
    if not found then
        raise exception 'you do not own %', p_slug using errcode = 'XP404';
    end if;
    insert into store.equipped (user_id, category, item_id) values (p_user_id, v_item.category, v_item.id)
    on conflict (user_id, category) do update set item_id = excluded.item_id, equipped_at = now();
    return store.item_json(v_item, true, true);
end;
$$;
""",
    'store/inventory.sql': """-- drop: drop function if exists store.inventory(uuid);
-- What a user owns, with the equipped flag.
create or replace function store.inventory(p_user_id uuid)
returns jsonb
language plpgsql
stable
as $$
begin
    return (select coalesce(jsonb_agg(store.item_json(i, true, e.item_id is not null) || jsonb_build_object('acquired_at', v.acquired_at)
                              order by v.acquired_at desc), '[]'::jsonb)
    from store.inventory v
    join store.items i on i.id = v.item_id
    left join store.equipped e on e.item_id = i.id and e.user_id = p_user_id
    where v.user_id = p_user_id);
end;
$$;
""",
    'store/item_json.sql': """-- drop: drop function if exists store.item_json(store.items, boolean, boolean);
create or replace function store.item_json(i store.items, p_owned boolean, p_equipped boolean)
returns jsonb
language sql
immutable
as $$
    select jsonb_build_object('slug', i.slug, 'name', i.name, 'description', i.description, 'category', i.category,
        'price_coins', i.price_coins, 'data', i.data, 'featured', i.featured, 'owned', p_owned, 'equipped', p_equipped);
$$;
""",
    'store/items.sql': """-- drop: drop function if exists store.items(uuid, text);
-- The active catalog, optionally one category, with owned/equipped flags for a signed-in user.
create or replace function store.items(p_user_id uuid, p_category text)
returns jsonb
language plpgsql
stable
as $$
begin
    return (select coalesce(jsonb_agg(store.item_json(i, v.item_id is not null, e.item_id is not null)
                              order by i.featured desc, i.category, i.price_coins, i.slug), '[]'::jsonb)
    from store.items i
    left join store.inventory v on v.item_id = i.id and v.user_id = p_user_id
    left join store.equipped e on e.item_id = i.id and e.user_id = p_user_id
    where i.active and (p_category is null or i.category = p_category));
end;
$$;
""",
    'store/lock_wallet.sql': """-- drop: drop function if exists store.lock_wallet(uuid);
-- The user's wallet row, created if new, locked for the rest of the transaction: every coin
-- movement of one user takes this lock first, so they queue instead of racing.
create or replace function store.lock_wallet(p_user_id uuid)
returns store.wallets
language plpgsql
volatile
as $$
declare
    v store.wallets;
begin
    select * into v from store.wallets where user_id = p_user_id for update;
    if not found then
        insert into store.wallets (user_id) values (p_user_id) on conflict do nothing;
        select * into v from store.wallets where user_id = p_user_id for update;
    end if;
    return v;
end;
$$;
""",
    'store/purchase.sql': """-- drop: drop function if exists store.purchase(uuid, text);
-- Buys an item in one transaction: the wallet lock serialises a user's purchases, the
-- inventory's primary key makes a second grant impossible, the debit is a ledger row.
-- XP404 unknown or inactive item, XP409 already owned, XP402 not enough coins (or a debt).
create or replace function store.purchase(p_user_id uuid, p_slug text)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_item store.items;
    v_wallet store.wallets;
begin
    select * into v_item from store.items where slug = p_slug and active;
    if not found then
        raise exception 'no item %', p_slug using errcode = 'XP404';
    end if;
    v_wallet := store.lock_wallet(p_user_id);
    if exists (select 1 from store.inventory where user_id = p_user_id and item_id = v_item.id) then
        raise exception 'you already own %', p_slug using errcode = 'XP409';
    end if;
    if v_wallet.debt > 0 then
        raise exception 'a refunded payment left a debt of % coins; spending resumes once it is paid', v_wallet.debt
            using errcode = 'XP402';
    end if;
    if v_wallet.balance < v_item.price_coins then
        raise exception '% costs % coins; you have %', p_slug, v_item.price_coins, v_wallet.balance using errcode = 'XP402';
    end if;
    insert into store.coin_ledger (user_id, amount, source, idempotency_key, metadata)
    values (p_user_id, -v_item.price_coins, 'purchase', p_user_id || ':' || v_item.slug,
            jsonb_build_object('item', v_item.slug));
    update store.wallets set balance = balance - v_item.price_coins, updated_at = now()
     where user_id = p_user_id returning * into v_wallet;
    insert into store.inventory (user_id, item_id) values (p_user_id, v_item.id);
    perform notify.enqueue(p_user_id, 'purchase_completed', format('You got %s', v_item.name),
        format('%s is in your inventory.', v_item.name), jsonb_build_object('item', v_item.slug),
        'purchase:' || v_item.slug);
    return jsonb_build_object('item', store.item_json(v_item, true, false), 'coins', v_wallet.balance);
end;
$$;
""",
    'store/seed.sql': """-- drop: drop function if exists store.seed();
-- The shipped catalog and coin packs, upserted by slug / id: running it again updates names,
-- prices and data and never deletes anything (owned items stay owned, unlike the original,
-- which wiped every user's items). Returns how many items it wrote.
create or replace function store.seed()
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    insert into store.items as i (slug, name, description, category, price_coins, data, featured)
    values
        ('theme-midnight', 'Midnight', 'Deep blue editor theme with soft contrast.', 'theme', 120, '{"palette": ["#0b1021", "#1f2a4a", "#7aa2f7"]}', true),
        ('theme-solar-flare', 'Solar Flare', 'Warm oranges for early risers.', 'theme', 120, '{"palette": ["#2b1b0e", "#ff8c42", "#ffd166"]}', false),
        ('theme-forest', 'Forest', 'Greens and browns, easy on the eyes.', 'theme', 100, '{"palette": ["#102418", "#2d6a4f", "#95d5b2"]}', false),
        ('theme-neon-grid', 'Neon Grid', 'Synthwave magenta on black.', 'theme', 200, '{"palette": ["#0d0221", "#ff00a0", "#00f0ff"]}', true),
        ('theme-paper', 'Paper', 'A light theme that reads like print.', 'theme', 80, '{"palette": ["#fbf8f1", "#3c3c3c", "#b5838d"]}', false),
        ('theme-void', 'Void', 'Pure black for the Void layer.', 'theme', 350, '{"palette": ["#000000", "#111111", "#8a2be2"], "layer": "CLX"}', false),
        ('font-fira-code', 'Fira Code', 'Monospace with ligatures.', 'font', 60, '{"family": "Fira Code"}', false),
        ('font-jetbrains-mono', 'JetBrains Mono', 'Tall x-height, clear shapes.', 'font', 60, '{"family": "JetBrains Mono"}', true),
        ('font-ibm-plex-mono', 'IBM Plex Mono', 'Corporate calm.', 'font', 50, '{"family": "IBM Plex Mono"}', false),
        ('font-victor-mono', 'Victor Mono', 'Cursive italics for comments.', 'font', 80, '{"family": "Victor Mono"}', false),
        ('font-press-start', 'Press Start', 'Pixel font for retro screens.', 'font', 90, '{"family": "Press Start 2P"}', false),
        ('font-space-grotesk', 'Space Grotesk', 'Geometric sans for headings.', 'font', 40, '{"family": "Space Grotesk"}', false),
        ('effect-matrix-rain', 'Matrix Rain', 'Green glyphs fall behind your profile.', 'effect', 250, '{"animation": "matrix"}', true),
        ('effect-sparkles', 'Sparkles', 'A light shimmer on level-up.', 'effect', 150, '{"animation": "sparkles"}', false),
        ('effect-glitch', 'Glitch', 'Chromatic aberration on hover.', 'effect', 180, '{"animation": "glitch"}', false),
        ('effect-aurora', 'Aurora', 'Slow northern lights.', 'effect', 220, '{"animation": "aurora"}', false),
        ('effect-embers', 'Embers', 'Rising sparks for streaks.', 'effect', 160, '{"animation": "embers"}', false),
        ('effect-scanlines', 'Scanlines', 'CRT lines over your card.', 'effect', 90, '{"animation": "scanlines"}', false),
        ('victory-confetti', 'Confetti', 'Classic burst of paper.', 'victory_animation', 100, '{"animation": "confetti"}', false),
        ('victory-fireworks', 'Fireworks', 'Night-sky celebration.', 'victory_animation', 200, '{"animation": "fireworks"}', true),
        ('victory-level-up-beam', 'Level-Up Beam', 'A column of light.', 'victory_animation', 180, '{"animation": "beam"}', false),
        ('victory-pixel-trophy', 'Pixel Trophy', 'An 8-bit trophy drops in.', 'victory_animation', 140, '{"animation": "trophy"}', false),
        ('victory-code-compiled', 'Compiled!', 'Green check and a build log.', 'victory_animation', 120, '{"animation": "compiled"}', false),
        ('victory-portal', 'Portal', 'Swirl into the next layer.', 'victory_animation', 260, '{"animation": "portal"}', false),
        ('title-early-bird', 'Early Bird', 'Shown under your name.', 'title', 50, '{"text": "Early Bird"}', false),
        ('title-bug-hunter', 'Bug Hunter', 'Shown under your name.', 'title', 80, '{"text": "Bug Hunter"}', false),
        ('title-marathoner', 'Marathoner', 'Shown under your name.', 'title', 80, '{"text": "Marathoner"}', false),
        ('title-void-walker', 'Void Walker', 'Shown under your name.', 'title', 300, '{"text": "Void Walker"}', false),
        ('frame-bronze', 'Bronze Frame', 'A warm ring around your avatar.', 'avatar_frame', 60, '{"color": "#cd7f32"}', false),
        ('frame-silver', 'Silver Frame', 'A cool ring around your avatar.', 'avatar_frame', 120, '{"color": "#c0c0c0"}', false),
        ('frame-gold', 'Gold Frame', 'For the top of the board.', 'avatar_frame', 250, '{"color": "#ffd700"}', true),
        ('frame-circuit', 'Circuit Frame', 'Traces light up on hover.', 'avatar_frame', 200, '{"pattern": "circuit"}', false),
        ('frame-flame', 'Flame Frame', 'For long streaks.', 'avatar_frame', 220, '{"pattern": "flame"}', false)
    on conflict (slug) do update set
        name = excluded.name, description = excluded.description, category = excluded.category,
        price_coins = excluded.price_coins, data = excluded.data, featured = excluded.featured, updated_at = now();
    get diagnostics v_count = row_count;
    insert into store.coin_packs (id, amount_paise, currency, coins)
    values ('pack-50', 4900, 'INR', 50), ('pack-100', 9900, 'INR', 100), ('pack-200', 19900, 'INR', 200),
           ('pack-500', 49900, 'INR', 500), ('pack-1000', 99900, 'INR', 1000), ('pack-2500', 199900, 'INR', 2500)
    on conflict (id) do update set amount_paise = excluded.amount_paise, currency = excluded.currency, coins = excluded.coins;
    return v_count;
end;
$$;
""",
    'store/unequip.sql': """-- drop: drop function if exists store.unequip(uuid, text);
-- Takes off whatever is equipped in a category (a no-op when nothing is).
create or replace function store.unequip(p_user_id uuid, p_category text)
returns jsonb
language sql
volatile
as $$
    with gone as (delete from store.equipped where user_id = p_user_id and category = p_category returning 1)
    select jsonb_build_object('category', p_category, 'unequipped', exists (select 1 from gone));
$$;
""",
    'store/wallet.sql': """-- drop: drop function if exists store.wallet(uuid, bigint, integer);
-- A user's coins, debt and coin movements (newest first, keyset by entry id).
create or replace function store.wallet(p_user_id uuid, p_cursor bigint, p_limit integer)
returns jsonb
language sql
stable
as $$
    with page as (
        select id, amount, source, metadata, created_at from store.coin_ledger
        where user_id = p_user_id and (p_cursor is null or id < p_cursor)
        order by id desc limit least(greatest(coalesce(p_limit, 20), 1), 100) + 1
    ), shown as (select * from page order by id desc limit least(greatest(coalesce(p_limit, 20), 1), 100))
    select jsonb_build_object(
        'coins', coalesce((select balance from store.wallets where user_id = p_user_id), 0),
        'debt', coalesce((select debt from store.wallets where user_id = p_user_id), 0),
        'events', coalesce((select jsonb_agg(jsonb_build_object('id', id, 'amount', amount, 'source', source,
                            'metadata', metadata, 'created_at', created_at) order by id desc) from shown), '[]'::jsonb),
        'next_cursor', case when (select count(*) from page) > least(greatest(coalesce(p_limit, 20), 1), 100)
                            then (select min(id) from shown)::text end);
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'store/coin_packs.sql': None,
    'store/credit_coins.sql': None,
    'store/equip.sql': None,
    'store/inventory.sql': None,
    'store/item_json.sql': None,
    'store/items.sql': None,
    'store/lock_wallet.sql': None,
    'store/purchase.sql': None,
    'store/seed.sql': None,
    'store/unequip.sql': None,
    'store/wallet.sql': None,
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS, DATA_UP)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

"""devices, feed, broadcast

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 00:51:24 UTC

Written by `xpcore db-functions revision`: FUNCTIONS holds frozen copies of the db/functions
files this revision installs; PREVIOUS holds what they replaced (None: new, dropped on
downgrade). Add hand-written DDL to SCHEMA_UP/SCHEMA_DOWN.
"""

from src.migrations import apply_revision, revert_revision

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SCHEMA_UP = """
-- Push tokens: one owner at a time.
create table notify.devices (
    token        text primary key check (char_length(token) between 10 and 4096),
    user_id      uuid not null references app.users (id) on delete cascade,
    platform     text not null check (platform in ('android', 'ios', 'web')),
    created_at   timestamptz not null default now(),
    last_seen_at timestamptz not null default now()
);
create index devices_user on notify.devices (user_id);

-- Admin broadcasts, fanned out in batches by a job (cursor_user_id: how far it got).
create table notify.broadcasts (
    id             bigint generated always as identity primary key,
    created_by     uuid references app.users (id) on delete set null,
    title          text not null check (char_length(title) between 1 and 200),
    body           text not null check (char_length(body) <= 2000),
    data           jsonb not null default '{}'::jsonb,
    created_at     timestamptz not null default now(),
    cursor_user_id uuid,
    users          bigint not null default 0,
    done_at        timestamptz
);
create index broadcasts_pending on notify.broadcasts (id) where done_at is null;

-- Push delivery: one row per (notification, device token), acknowledged one by one.
alter table notify.outbox add column fanned_at timestamptz;
update notify.outbox set fanned_at = created_at;  -- history is in the feed; do not push it
create index outbox_to_fan_out on notify.outbox (id) where fanned_at is null;
create table notify.deliveries (
    outbox_id       bigint not null references notify.outbox (id) on delete cascade,
    token           text not null,
    state           text not null default 'pending' check (state in ('pending', 'sent', 'failed', 'dead')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    claimed_until   timestamptz,
    sent_at         timestamptz,
    message_id      text,
    last_error      text,
    primary key (outbox_id, token)
);
create index deliveries_due on notify.deliveries (next_attempt_at, outbox_id) where state = 'pending';
"""

SCHEMA_DOWN = """
drop table notify.deliveries;
drop index notify.outbox_to_fan_out;
alter table notify.outbox drop column fanned_at;
drop table notify.broadcasts;
drop table notify.devices;
"""

FUNCTIONS: dict[str, str] = {
    'notify/broadcast_batch.sql': """-- drop: drop function if exists notify.broadcast_batch(bigint, integer);
-- Fans one batch of a broadcast out to the next users by id, set-based, and remembers how far
-- it got. Safe to rerun after a crash: each user's copy is keyed by the broadcast id. Returns
-- how many users this batch covered (0 when the broadcast is done).
create or replace function notify.broadcast_batch(p_broadcast_id bigint, p_batch integer)
returns integer
language plpgsql
volatile
as $$
declare
    v_broadcast notify.broadcasts;
    v_last uuid;
    v_count integer;
begin
    select * into v_broadcast from notify.broadcasts where id = p_broadcast_id for update;
    if not found then
        raise exception 'no broadcast %', p_broadcast_id using errcode = 'XP404';
    end if;
    if v_broadcast.done_at is not null then
        return 0;
    end if;
    with batch as (
        select id from app.users
        where deleted_at is null and (v_broadcast.cursor_user_id is null or id > v_broadcast.cursor_user_id)
        order by id limit p_batch
    ), written as (
        insert into notify.outbox (user_id, kind, title, body, data, dedupe_key)
        select id, 'broadcast', v_broadcast.title, v_broadcast.body,
               v_broadcast.data || jsonb_build_object('broadcast_id', v_broadcast.id), 'broadcast:' || v_broadcast.id
        from batch
        on conflict (user_id, kind, dedupe_key) where dedupe_key is not null do nothing
    )
    select max(id::text)::uuid, count(*) into v_last, v_count from batch;
    if v_count = 0 then
        update notify.broadcasts set done_at = now() where id = p_broadcast_id;
    else
        update notify.broadcasts set cursor_user_id = v_last, users = users + v_count where id = p_broadcast_id;
        perform pg_notify('xpcore_outbox', 'broadcast:' || p_broadcast_id);
    end if;
    return v_count;
end;
$$;
""",
    'notify/broadcast_create.sql': """-- drop: drop function if exists notify.broadcast_create(uuid, text, text, jsonb);
-- Records an admin broadcast; the fan-out runs in batches (notify.broadcast_batch) by a job.
create or replace function notify.broadcast_create(p_admin_id uuid, p_title text, p_body text, p_data jsonb)
returns bigint
language sql
volatile
as $$
    insert into notify.broadcasts (created_by, title, body, data) values (p_admin_id, p_title, p_body, coalesce(p_data, '{}'))
    returning id;
$$;
""",
    'notify/claim_deliveries.sql': """-- drop: drop function if exists notify.claim_deliveries(integer, integer);
-- Claims due deliveries for one sender: rows nobody holds (SKIP LOCKED) get a lease of
-- p_lease_s seconds, so a worker that dies mid-batch releases them by itself. Answers what the
-- push needs (notification id, token, title, body, data).
create or replace function notify.claim_deliveries(p_limit integer, p_lease_s integer)
returns table (outbox_id bigint, token text, title text, body text, data jsonb, kind text)
language sql
volatile
as $$
    with due as (
        select d.outbox_id, d.token from notify.deliveries d
        where d.state = 'pending' and d.next_attempt_at <= now()
          and (d.claimed_until is null or d.claimed_until < now())
        order by d.next_attempt_at, d.outbox_id
        limit p_limit
        for update skip locked
    ), claimed as (
        update notify.deliveries d set claimed_until = now() + make_interval(secs => p_lease_s)
        from due where d.outbox_id = due.outbox_id and d.token = due.token
        returning d.outbox_id, d.token
    )
    select c.outbox_id, c.token, o.title, o.body, o.data, o.kind
    from claimed c join notify.outbox o on o.id = c.outbox_id;
$$;
""",
    'notify/device_register.sql': """-- drop: drop function if exists notify.device_register(uuid, text, text);
-- Registers a push token for a user. A token has one owner at a time: registering a token held
-- by another user moves it (the device changed hands). One statement, safe under races.
create or replace function notify.device_register(p_user_id uuid, p_token text, p_platform text)
returns jsonb
language sql
volatile
as $$
    insert into notify.devices as d (token, user_id, platform)
    values (p_token, p_user_id, p_platform)
    on conflict (token) do update
        set user_id = excluded.user_id, platform = excluded.platform, last_seen_at = now()
    returning jsonb_build_object('token', d.token, 'platform', d.platform, 'created_at', d.created_at,
                                 'last_seen_at', d.last_seen_at);
$$;
""",
    'notify/device_unregister.sql': """-- drop: drop function if exists notify.device_unregister(uuid, text);
-- Forgets a push token, only if it is the caller's (another user's token is left alone).
create or replace function notify.device_unregister(p_user_id uuid, p_token text)
returns boolean
language sql
volatile
as $$
    with gone as (delete from notify.devices where token = p_token and user_id = p_user_id returning 1)
    select exists (select 1 from gone);
$$;
""",
    'notify/fan_out.sql': """-- drop: drop function if exists notify.fan_out(integer);
-- Turns new notifications into one delivery per registered device of their user (set-based,
-- in batches); a notification whose user has no device is simply marked fanned out.
create or replace function notify.fan_out(p_limit integer)
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    with picked as (
        select id, user_id from notify.outbox
        where fanned_at is null
        order by id
        limit p_limit
        for update skip locked
    ), devices as (
        insert into notify.deliveries (outbox_id, token)
        select p.id, d.token from picked p join notify.devices d on d.user_id = p.user_id
        on conflict do nothing
    )
    update notify.outbox o set fanned_at = now() from picked p where o.id = p.id;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;
""",
    'notify/feed.sql': """-- drop: drop function if exists notify.feed(uuid, boolean, bigint, integer);
-- The in-app feed, newest first, keyset-paginated by id; unread_count is always the total.
create or replace function notify.feed(p_user_id uuid, p_unread_only boolean, p_cursor bigint, p_limit integer)
returns jsonb
language sql
stable
as $$
    with page as (
        select id, kind, title, body, data, created_at, read_at
        from notify.outbox
        where user_id = p_user_id
          and (not coalesce(p_unread_only, false) or read_at is null)
          and (p_cursor is null or id < p_cursor)
        order by id desc
        limit least(greatest(coalesce(p_limit, 20), 1), 100) + 1
    ), shown as (
        select * from page order by id desc limit least(greatest(coalesce(p_limit, 20), 1), 100)
    )
    select jsonb_build_object(
        'items', coalesce((select jsonb_agg(jsonb_build_object(
            'id', id, 'kind', kind, 'title', title, 'body', body, 'data', data,
            'created_at', created_at, 'read_at', read_at) order by id desc) from shown), '[]'::jsonb),
        'unread_count', (select count(*) from notify.outbox where user_id = p_user_id and read_at is null),
        'next_cursor', case when (select count(*) from page) > least(greatest(coalesce(p_limit, 20), 1), 100)
                            then (select min(id) from shown)::text end);
$$;
""",
    'notify/mark_all_read.sql': """-- drop: drop function if exists notify.mark_all_read(uuid);
-- Marks every unread notification of the caller read; returns how many.
create or replace function notify.mark_all_read(p_user_id uuid)
returns bigint
language sql
volatile
as $$
    with marked as (
        update notify.outbox set read_at = now() where user_id = p_user_id and read_at is null returning 1
    )
    select count(*) from marked;
$$;
""",
    'notify/mark_read.sql': """-- drop: drop function if exists notify.mark_read(uuid, bigint);
-- Marks one of the caller's notifications read (idempotent); XP404 if it is not theirs.
create or replace function notify.mark_read(p_user_id uuid, p_id bigint)
returns void
language plpgsql
volatile
as $$
begin
    update notify.outbox set read_at = coalesce(read_at, now()) where id = p_id and user_id = p_user_id;
    if not found then
        raise exception 'no notification %', p_id using errcode = 'XP404';
    end if;
end;
$$;
""",
    'notify/record_deliveries.sql': """-- drop: drop function if exists notify.record_deliveries(jsonb);
-- Records what FCM answered for a chunk of claimed deliveries, as soon as it answered:
--   sent  -> done (never sent again);
--   retry -> back to pending with exponential backoff (2^attempts s, at most an hour);
--            after 8 attempts it is given up as failed;
--   dead  -> the token is unregistered or invalid: the delivery is dropped and the device
--            forgotten.
-- p_results: [{outbox_id, token, status, message_id?, error?}]
create or replace function notify.record_deliveries(p_results jsonb)
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    with r as (
        select (x->>'outbox_id')::bigint as outbox_id, x->>'token' as token, x->>'status' as status,
               x->>'message_id' as message_id, left(x->>'error', 500) as error
        from jsonb_array_elements(p_results) x
    )
    update notify.deliveries d set
        state = case r.status when 'sent' then 'sent' when 'dead' then 'dead'
                              else case when d.attempts + 1 >= 8 then 'failed' else 'pending' end end,
        attempts = d.attempts + 1,
        sent_at = case when r.status = 'sent' then now() end,
        message_id = r.message_id,
        last_error = r.error,
        next_attempt_at = case when r.status = 'retry'
                               then now() + least(power(2, d.attempts + 1), 3600) * interval '1 second'
                               else d.next_attempt_at end,
        claimed_until = null
    from r
    where d.outbox_id = r.outbox_id and d.token = r.token and d.state = 'pending';
    get diagnostics v_count = row_count;
    delete from notify.devices v
    using jsonb_array_elements(p_results) x
    where x->>'status' = 'dead' and v.token = x->>'token';
    return v_count;
end;
$$;
""",
    'notify/release_deliveries.sql': """-- drop: drop function if exists notify.release_deliveries(jsonb);
-- Gives claimed but unsent deliveries back at once (a sender failing cleanly); a sender that
-- dies without calling this releases them when the lease runs out.
create or replace function notify.release_deliveries(p_keys jsonb)
returns integer
language sql
volatile
as $$
    with released as (
        update notify.deliveries d set claimed_until = null
        from jsonb_array_elements(p_keys) x
        where d.outbox_id = (x->>'outbox_id')::bigint and d.token = x->>'token' and d.state = 'pending'
        returning 1
    )
    select count(*)::integer from released;
$$;
""",
    'xp/apply.sql': """-- drop: drop function if exists xp.apply(uuid, text, integer, numeric, text, text, text, timestamptz, jsonb, boolean);
-- Books one claimed award (see xp.claim, which holds the user's lock): the ledger row, the
-- user's totals, levels and layers, the season score of the mode, level-up and layer-up
-- notifications, and the answer stored for replays. Keyed by user: O(1) whatever the ledger size.
create or replace function xp.apply(
    p_user_id uuid, p_mode text, p_xp integer, p_units numeric, p_activity text, p_source text, p_key text,
    p_occurred_at timestamptz, p_metadata jsonb, p_capped boolean
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_before xp.totals;
    v_after xp.totals;
    v_season xp.seasons;
    v_event_id bigint;
    v_season_xp bigint := 0;
    v_result jsonb;
begin
    select * into v_season from xp.seasons
     where id = to_char(p_occurred_at at time zone 'UTC', 'YYYY-MM');
    if not found then
        v_season := xp.season_for(p_occurred_at);
    end if;
    if v_season.status = 'closed' then
        raise exception 'season % is closed; XP can no longer count toward it', v_season.id using errcode = 'XP422';
    end if;
    select * into v_before from xp.totals where user_id = p_user_id;
    if v_before.total_xp + p_xp < 0
       or (p_mode = 'reality' and v_before.reality_xp + p_xp < 0)
       or (p_mode = 'cyber' and v_before.cyber_xp + p_xp < 0) then
        raise exception 'this adjustment would make XP negative' using errcode = 'XP422';
    end if;

    insert into xp.ledger (user_id, activity_key, source, mode, units, xp, idempotency_key, occurred_at, metadata, season_id)
    values (p_user_id, p_activity, p_source, p_mode, p_units, p_xp, p_key, p_occurred_at, coalesce(p_metadata, '{}'), v_season.id)
    returning id into v_event_id;

    -- One update: the new sums, and level and layer recomputed only where the sum moved.
    update xp.totals t set
        total_xp = t.total_xp + p_xp,
        level = xp.level_for(t.total_xp + p_xp),
        reality_xp = t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end,
        reality_level = case when p_mode = 'reality' then xp.level_for(t.reality_xp + p_xp) else t.reality_level end,
        reality_layer = case when p_mode = 'reality' or t.reality_layer is null
                             then xp.layer_for('reality', xp.level_for(t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end))
                             else t.reality_layer end,
        cyber_xp = t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end,
        cyber_level = case when p_mode = 'cyber' then xp.level_for(t.cyber_xp + p_xp) else t.cyber_level end,
        cyber_layer = case when p_mode = 'cyber' or t.cyber_layer is null
                           then xp.layer_for('cyber', xp.level_for(t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end))
                           else t.cyber_layer end,
        reached_at = case when p_xp <> 0 then now() else t.reached_at end,
        updated_at = now()
    where t.user_id = p_user_id
    returning * into v_after;

    if p_mode is not null then
        insert into xp.season_scores as s (season_id, mode, user_id, xp, reached_at)
        values (v_season.id, p_mode, p_user_id, greatest(p_xp, 0), now())
        on conflict (season_id, mode, user_id) do update
            set xp = greatest(s.xp + p_xp, 0),
                reached_at = case when p_xp <> 0 then now() else s.reached_at end
        returning xp into v_season_xp;
    end if;

    if v_after.level > v_before.level then
        perform notify.enqueue(p_user_id, 'level_up', format('Level %s!', v_after.level),
            format('You reached level %s with %s XP.', v_after.level, v_after.total_xp),
            jsonb_build_object('level', v_after.level, 'previous_level', v_before.level, 'total_xp', v_after.total_xp),
            format('level:%s', v_after.level));
    end if;
    -- a new totals row has no layer yet: compare with the layer its previous level stood in
    if v_after.reality_layer is distinct from coalesce(v_before.reality_layer, xp.layer_for('reality', v_before.reality_level))
       and v_after.reality_level > v_before.reality_level then
        perform notify.enqueue(p_user_id, 'layer_up', format('New reality layer: %s', v_after.reality_layer),
            format('Your reality level %s opened layer %s.', v_after.reality_level, v_after.reality_layer),
            jsonb_build_object('mode', 'reality', 'layer', v_after.reality_layer, 'level', v_after.reality_level),
            format('layer:reality:%s', v_after.reality_layer));
    end if;
    if v_after.cyber_layer is distinct from coalesce(v_before.cyber_layer, xp.layer_for('cyber', v_before.cyber_level))
       and v_after.cyber_level > v_before.cyber_level then
        perform notify.enqueue(p_user_id, 'layer_up', format('New cyber layer: %s', v_after.cyber_layer),
            format('Your cyber level %s opened layer %s.', v_after.cyber_level, v_after.cyber_layer),
            jsonb_build_object('mode', 'cyber', 'layer', v_after.cyber_layer, 'level', v_after.cyber_level),
            format('layer:cyber:%s', v_after.cyber_layer));
    end if;

    v_result := jsonb_build_object(
        'event_id', v_event_id,
        'user_id', p_user_id,
        'xp_awarded', p_xp,
        'capped', p_capped,
        'mode', p_mode,
        'total_xp', v_after.total_xp,
        'level', v_after.level,
        'leveled_up', v_after.level > v_before.level,
        'modes', jsonb_build_object(
            'reality', jsonb_build_object('xp', v_after.reality_xp, 'level', v_after.reality_level, 'layer', v_after.reality_layer),
            'cyber', jsonb_build_object('xp', v_after.cyber_xp, 'level', v_after.cyber_level, 'layer', v_after.cyber_layer)),
        'season_id', v_season.id,
        'season_xp', v_season_xp,
        'replayed', false);
    insert into xp.idempotency (source, idempotency_key, user_id, event_id, result)
    values (p_source, p_key, p_user_id, v_event_id, v_result);
    return v_result;
end;
$$;
""",
}

PREVIOUS: dict[str, str | None] = {
    'notify/broadcast_batch.sql': None,
    'notify/broadcast_create.sql': None,
    'notify/claim_deliveries.sql': None,
    'notify/device_register.sql': None,
    'notify/device_unregister.sql': None,
    'notify/fan_out.sql': None,
    'notify/feed.sql': None,
    'notify/mark_all_read.sql': None,
    'notify/mark_read.sql': None,
    'notify/record_deliveries.sql': None,
    'notify/release_deliveries.sql': None,
    'xp/apply.sql': """-- drop: drop function if exists xp.apply(uuid, text, integer, numeric, text, text, text, timestamptz, jsonb, boolean);
-- Books one claimed award (see xp.claim, which holds the user's lock): the ledger row, the
-- user's totals, levels and layers, the season score of the mode, level-up and layer-up
-- notifications, and the answer stored for replays. Keyed by user: O(1) whatever the ledger size.
create or replace function xp.apply(
    p_user_id uuid, p_mode text, p_xp integer, p_units numeric, p_activity text, p_source text, p_key text,
    p_occurred_at timestamptz, p_metadata jsonb, p_capped boolean
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_before xp.totals;
    v_after xp.totals;
    v_season xp.seasons;
    v_event_id bigint;
    v_season_xp bigint := 0;
    v_result jsonb;
begin
    select * into v_season from xp.seasons
     where id = to_char(p_occurred_at at time zone 'UTC', 'YYYY-MM');
    if not found then
        v_season := xp.season_for(p_occurred_at);
    end if;
    if v_season.status = 'closed' then
        raise exception 'season % is closed; XP can no longer count toward it', v_season.id using errcode = 'XP422';
    end if;
    select * into v_before from xp.totals where user_id = p_user_id;
    if v_before.total_xp + p_xp < 0
       or (p_mode = 'reality' and v_before.reality_xp + p_xp < 0)
       or (p_mode = 'cyber' and v_before.cyber_xp + p_xp < 0) then
        raise exception 'this adjustment would make XP negative' using errcode = 'XP422';
    end if;

    insert into xp.ledger (user_id, activity_key, source, mode, units, xp, idempotency_key, occurred_at, metadata, season_id)
    values (p_user_id, p_activity, p_source, p_mode, p_units, p_xp, p_key, p_occurred_at, coalesce(p_metadata, '{}'), v_season.id)
    returning id into v_event_id;

    -- One update: the new sums, and level and layer recomputed only where the sum moved.
    update xp.totals t set
        total_xp = t.total_xp + p_xp,
        level = xp.level_for(t.total_xp + p_xp),
        reality_xp = t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end,
        reality_level = case when p_mode = 'reality' then xp.level_for(t.reality_xp + p_xp) else t.reality_level end,
        reality_layer = case when p_mode = 'reality' or t.reality_layer is null
                             then xp.layer_for('reality', xp.level_for(t.reality_xp + case when p_mode = 'reality' then p_xp else 0 end))
                             else t.reality_layer end,
        cyber_xp = t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end,
        cyber_level = case when p_mode = 'cyber' then xp.level_for(t.cyber_xp + p_xp) else t.cyber_level end,
        cyber_layer = case when p_mode = 'cyber' or t.cyber_layer is null
                           then xp.layer_for('cyber', xp.level_for(t.cyber_xp + case when p_mode = 'cyber' then p_xp else 0 end))
                           else t.cyber_layer end,
        reached_at = case when p_xp <> 0 then now() else t.reached_at end,
        updated_at = now()
    where t.user_id = p_user_id
    returning * into v_after;

    if p_mode is not null then
        insert into xp.season_scores as s (season_id, mode, user_id, xp, reached_at)
        values (v_season.id, p_mode, p_user_id, greatest(p_xp, 0), now())
        on conflict (season_id, mode, user_id) do update
            set xp = greatest(s.xp + p_xp, 0),
                reached_at = case when p_xp <> 0 then now() else s.reached_at end
        returning xp into v_season_xp;
    end if;

    if v_after.level > v_before.level then
        perform notify.enqueue(p_user_id, 'level_up', format('Level %s!', v_after.level),
            format('You reached level %s with %s XP.', v_after.level, v_after.total_xp),
            jsonb_build_object('level', v_after.level, 'previous_level', v_before.level, 'total_xp', v_after.total_xp),
            format('level:%s', v_after.level));
    end if;
    if v_after.reality_layer is distinct from v_before.reality_layer and v_after.reality_level > v_before.reality_level then
        perform notify.enqueue(p_user_id, 'layer_up', format('New reality layer: %s', v_after.reality_layer),
            format('Your reality level %s opened layer %s.', v_after.reality_level, v_after.reality_layer),
            jsonb_build_object('mode', 'reality', 'layer', v_after.reality_layer, 'level', v_after.reality_level),
            format('layer:reality:%s', v_after.reality_layer));
    end if;
    if v_after.cyber_layer is distinct from v_before.cyber_layer and v_after.cyber_level > v_before.cyber_level then
        perform notify.enqueue(p_user_id, 'layer_up', format('New cyber layer: %s', v_after.cyber_layer),
            format('Your cyber level %s opened layer %s.', v_after.cyber_level, v_after.cyber_layer),
            jsonb_build_object('mode', 'cyber', 'layer', v_after.cyber_layer, 'level', v_after.cyber_level),
            format('layer:cyber:%s', v_after.cyber_layer));
    end if;

    v_result := jsonb_build_object(
        'event_id', v_event_id,
        'user_id', p_user_id,
        'xp_awarded', p_xp,
        'capped', p_capped,
        'mode', p_mode,
        'total_xp', v_after.total_xp,
        'level', v_after.level,
        'leveled_up', v_after.level > v_before.level,
        'modes', jsonb_build_object(
            'reality', jsonb_build_object('xp', v_after.reality_xp, 'level', v_after.reality_level, 'layer', v_after.reality_layer),
            'cyber', jsonb_build_object('xp', v_after.cyber_xp, 'level', v_after.cyber_level, 'layer', v_after.cyber_layer)),
        'season_id', v_season.id,
        'season_xp', v_season_xp,
        'replayed', false);
    insert into xp.idempotency (source, idempotency_key, user_id, event_id, result)
    values (p_source, p_key, p_user_id, v_event_id, v_result);
    return v_result;
end;
$$;
""",
}


def upgrade() -> None:
    apply_revision(SCHEMA_UP, FUNCTIONS)


def downgrade() -> None:
    revert_revision(SCHEMA_DOWN, FUNCTIONS, PREVIOUS)

-- Runs after every `xpcore database upgrade`, once the revisions and db/functions are applied
-- (src/migrations.py). Idempotent: grants on what db/functions (re)created, and reference data
-- on first install only, so an operator's later changes to activities or the catalog stay.

-- BI tools read the analytics views and nothing else (docs/analytics.md).
grant usage on schema analytics to xpcore_bi;
grant select on all tables in schema analytics to xpcore_bi;

-- The HTTP API runs as xpcore_api (DATABASE_API_ROLE; docs/migrations.md, Database roles).
-- No function executes for PUBLIC; the role may execute exactly the functions the API calls,
-- which are `security definer` (they run as their owner, with `search_path = pg_catalog,
-- pg_temp`), and read the migration head for /ready. Revoking everything first keeps the list
-- exact: a function dropped from it here loses its grant on the next upgrade. Workers and the
-- CLI connect as the owner.
revoke execute on all functions in schema app, auth, challenges, engage, leagues, notify, seasons, store, xp, analytics from public;
revoke execute on all functions in schema app, auth, challenges, engage, leagues, notify, seasons, store, xp, analytics from xpcore_api;
grant usage on schema app, auth, challenges, engage, leagues, notify, seasons, store, xp to xpcore_api;
grant select (version_num) on public.alembic_versions to xpcore_api;
grant execute on function
    app.user_delete(uuid),
    app.user_lookup(uuid, text),
    app.user_me(uuid),
    app.user_public(text),
    app.user_update(uuid, jsonb),
    auth.api_key_create(text, text, bytea, text[], uuid),
    auth.api_key_lookup(text),
    auth.api_key_revoke(uuid),
    auth.api_key_touch(uuid),
    auth.api_keys_list(),
    auth.family_revoke(uuid, uuid),
    auth.oauth_link(uuid, text, text, text, boolean),
    auth.oauth_login(text, text, text, boolean, text, text, text),
    auth.otp_store(text, bytea, integer),
    auth.otp_verify(text, bytea, integer, integer),
    auth.refresh_family(bytea),
    auth.refresh_issue(uuid, bytea, integer),
    auth.refresh_rotate(bytea, bytea, integer, text, integer),
    auth.sessions_list(uuid),
    challenges.complete(uuid, text, boolean, integer, integer),
    challenges.deactivate(text),
    challenges.get_for(uuid, text),
    challenges.judge_view(text),
    challenges.list_for(uuid),
    challenges.patch(text, jsonb),
    challenges.start(uuid, text),
    challenges.upsert(jsonb),
    engage.admin_list(),
    engage.deactivate(text),
    engage.for_user(uuid),
    engage.public_for(text),
    engage.streak_check_in(uuid, text),
    engage.streaks_for(uuid),
    engage.quest_admin_list(),
    engage.quest_deactivate(text),
    engage.quest_upsert(jsonb),
    engage.quests_for(uuid),
    engage.upsert(jsonb),
    leagues.me(text, uuid),
    leagues.tiers(text),
    notify.broadcast_create(uuid, text, text, jsonb),
    notify.device_register(uuid, text, text),
    notify.device_unregister(uuid, text),
    notify.feed(uuid, boolean, bigint, integer),
    notify.live_high_water(),
    notify.live_items(bigint[], uuid[], bigint),
    notify.mark_all_read(uuid),
    notify.mark_read(uuid, bigint),
    seasons.all_time(text, integer),
    seasons.around(text, text, uuid, integer),
    seasons.arounds(text[], text[], uuid[], integer[]),
    seasons.leaderboard(text, text, text, integer),
    seasons.list(),
    seasons.live_ranks(text, text, uuid[]),
    seasons.resolve(text),
    seasons.season_json(xp.seasons),
    store.coin_packs(),
    store.credit_coins(uuid, integer, text, text, jsonb),
    store.equip(uuid, text),
    store.inventory(uuid),
    store.items(uuid, text),
    store.order_attach(uuid, text),
    store.order_create(uuid, text),
    store.payment_credit(text, text, integer, uuid, text),
    store.payment_refund(text, integer),
    store.purchase(uuid, text),
    store.unequip(uuid, text),
    store.wallet(uuid, bigint, integer),
    store.webhook_seen(text, text),
    xp.activities(),
    xp.activity_create(jsonb),
    xp.activity_update(text, jsonb),
    xp.adjust(uuid, uuid, integer, text, text, text),
    xp.award_events(uuid[], text[], text[], numeric[], text[], timestamptz[], jsonb[], uuid[], uuid[]),
    xp.events_page(uuid, bigint, integer),
    xp.layers(),
    xp.levels(),
    xp.profile(uuid),
    xp.profiles(uuid[])
to xpcore_api;

-- Reference data: the default activities, layers, level curve, store catalog, achievements and quests.
select xp.seed_activities() where not exists (select from xp.activity_types);
select xp.seed_layers() where not exists (select from xp.layers);
select xp.generate_curve('default', 100) where not exists (select from xp.level_curve);
select store.seed() where not exists (select from store.items) and not exists (select from store.coin_packs);
select engage.seed() where not exists (select from engage.achievements);
select engage.seed_quests() where not exists (select from engage.quests);
-- The award probe's flat copy of the active tiers (kept by triggers; rebuilt here: the first fill).
select engage.award_tiers_rebuild();

-- Ledger partitions: two months back, six ahead (a daily job keeps extending them).
select xp.ensure_ledger_partitions(now() - interval '2 months', 6);

-- Seasons: this month and the next exist from the first install on, as the roll job (every
-- 5 minutes) keeps them; reads never store one (seasons.resolve).
select seasons.roll();

-- Runs after every `xpcore database upgrade`, once the revisions and db/functions are applied
-- (src/migrations.py). Idempotent: grants on what db/functions (re)created, and reference data
-- on first install only, so an operator's later changes to activities or the catalog stay.

-- BI tools read the analytics views and nothing else (docs/analytics.md).
grant usage on schema analytics to xpcore_bi;
grant select on all tables in schema analytics to xpcore_bi;

-- Reference data: the default activities, layers, level curve and store catalog.
select xp.seed_activities() where not exists (select from xp.activity_types);
select xp.seed_layers() where not exists (select from xp.layers);
select xp.generate_curve('default', 100) where not exists (select from xp.level_curve);
select store.seed() where not exists (select from store.items) and not exists (select from store.coin_packs);

-- Ledger partitions: two months back, six ahead (a daily job keeps extending them).
select xp.ensure_ledger_partitions(now() - interval '2 months', 6);

-- Seasons: this month and the next exist from the first install on, as the roll job (every
-- 5 minutes) keeps them; reads never store one (seasons.resolve).
select seasons.roll();

-- drop: drop materialized view if exists analytics.layer_distribution;
-- How many users stand in each layer of each mode: a materialized view (it counts every
-- user's totals), refreshed concurrently by the analytics refresh job; `refreshed_at` says
-- when. A change to this file drops and rebuilds it with data during the upgrade.
drop materialized view if exists analytics.layer_distribution;
create materialized view analytics.layer_distribution as
select d.mode, d.layer, d.users, now() as refreshed_at
from (
    select 'reality'::text as mode, t.reality_layer as layer, count(*) as users from xp.totals t group by t.reality_layer
    union all
    select 'cyber'::text, t.cyber_layer, count(*) from xp.totals t group by t.cyber_layer
) d;
-- layer is null for users without XP in that mode
create unique index layer_distribution_key on analytics.layer_distribution (mode, layer) nulls not distinct;
comment on materialized view analytics.layer_distribution is 'Users per layer and mode; refreshed every few minutes, as of refreshed_at.';

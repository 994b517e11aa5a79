-- drop: drop view if exists analytics.layer_distribution;
-- How many users stand in each layer of each mode.
create or replace view analytics.layer_distribution as
select 'reality'::text as mode, t.reality_layer as layer, count(*) as users from xp.totals t group by t.reality_layer
union all
select 'cyber'::text, t.cyber_layer, count(*) from xp.totals t group by t.cyber_layer;
comment on view analytics.layer_distribution is 'Users per layer and mode.';

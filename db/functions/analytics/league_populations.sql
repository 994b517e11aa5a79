-- drop: drop view if exists analytics.league_populations;
-- Per season, mode and tier: how many cohorts opened and how many users joined them (live for a
-- running season), for BI (docs/analytics.md, docs/leagues.md).
create or replace view analytics.league_populations as
select c.season_id, c.mode, c.tier, t.code as tier_code, t.name as tier_name,
       count(*)::bigint as cohorts, sum(c.members)::bigint as members,
       round(avg(c.members), 2) as avg_members
from leagues.cohorts c
left join leagues.tiers t on t.mode = c.mode and t.position = c.tier
group by c.season_id, c.mode, c.tier, t.code, t.name;
comment on view analytics.league_populations is 'League cohorts and members per season, mode and tier.';

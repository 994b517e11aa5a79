-- drop: drop view if exists analytics.league_moves;
-- Per closed season, mode and tier: how many users were promoted, demoted or stayed, and how
-- many of the demotions were placed users who earned nothing that season (inactive).
create or replace view analytics.league_moves as
select r.season_id, r.mode, r.tier, t.code as tier_code,
       count(*) filter (where r.move = 'promoted')::bigint as promoted,
       count(*) filter (where r.move = 'demoted')::bigint as demoted,
       count(*) filter (where r.move = 'stayed')::bigint as stayed,
       count(*) filter (where r.zone = 'inactive')::bigint as inactive,
       coalesce(sum(r.coins), 0)::bigint as coins
from leagues.results r
left join leagues.tiers t on t.mode = r.mode and t.position = r.tier
group by r.season_id, r.mode, r.tier, t.code;
comment on view analytics.league_moves is 'League moves per closed season, mode and tier (from leagues.results).';

-- drop: drop view if exists analytics.achievement_unlocks;
-- How many users unlocked each tier of each achievement (zero for none yet).
create or replace view analytics.achievement_unlocks as
select a.key as achievement, a.name, a.mode, a.kind, a.active, t.tier, t.name as tier_name, t.threshold,
       count(u.user_id) as unlocks, max(u.unlocked_at) as last_unlocked_at
from engage.achievements a
join engage.tiers t on t.achievement_id = a.id
left join engage.unlocks u on u.achievement_id = a.id and u.tier = t.tier
group by a.id, t.tier, t.name, t.threshold;
comment on view analytics.achievement_unlocks is 'Unlocks per achievement tier (engagement, docs/engagement.md).';

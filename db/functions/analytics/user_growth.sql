-- drop: drop materialized view if exists analytics.user_growth;
-- New and cumulative users per UTC day (deleted accounts keep counting: they were users): a
-- materialized view (it reads every user), refreshed concurrently by the analytics refresh
-- job; `refreshed_at` says when. A change to this file drops and rebuilds it with data during
-- the upgrade.
drop materialized view if exists analytics.user_growth;
create materialized view analytics.user_growth as
select day, new_users, sum(new_users) over (order by day) as total_users, now() as refreshed_at
from (
    select (created_at at time zone 'UTC')::date as day, count(*) as new_users
    from app.users group by 1
) d;
create unique index user_growth_key on analytics.user_growth (day);
comment on materialized view analytics.user_growth is 'Sign-ups per UTC day and the running total; refreshed every few minutes, as of refreshed_at.';

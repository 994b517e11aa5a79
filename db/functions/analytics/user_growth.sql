-- drop: drop view if exists analytics.user_growth;
-- New and cumulative users per UTC day (deleted accounts keep counting: they were users).
create or replace view analytics.user_growth as
select day, new_users, sum(new_users) over (order by day) as total_users
from (
    select (created_at at time zone 'UTC')::date as day, count(*) as new_users
    from app.users group by 1
) d;
comment on view analytics.user_growth is 'Sign-ups per UTC day and the running total.';

-- drop: drop function if exists notify.fan_out(integer);
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

-- drop: drop function if exists engage.on_purchase(uuid);
-- The hook store.purchase calls once per purchase, under the user's wallet lock (which orders
-- a user's purchases): `purchases` achievements count one more. It reads and writes only those
-- achievements' rows and the wallet the purchase already holds, never the totals.
create or replace function engage.on_purchase(p_user_id uuid)
returns void
language plpgsql
volatile
as $$
declare
    a engage.achievements;
begin
    for a in select * from engage.achievements e where e.active and e.kind = 'purchases' order by e.id loop
        perform engage.advance(p_user_id, a, 1, 'add');
    end loop;
end;
$$;

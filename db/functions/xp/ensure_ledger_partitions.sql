-- drop: drop function if exists xp.ensure_ledger_partitions(timestamptz, integer);
-- Creates the monthly ledger partitions from p_from's month for p_months months (idempotent).
-- A cron job keeps three months ahead; the default partition only catches outliers.
create or replace function xp.ensure_ledger_partitions(p_from timestamptz, p_months integer)
returns integer
language plpgsql
volatile
as $$
declare
    v_month timestamptz;
    v_name text;
    v_created integer := 0;
begin
    for i in 0 .. p_months - 1 loop
        v_month := (date_trunc('month', p_from at time zone 'UTC') + make_interval(months => i)) at time zone 'UTC';
        v_name := 'ledger_' || to_char(v_month at time zone 'UTC', 'YYYY_MM');
        if to_regclass('xp.' || v_name) is null then
            execute format(
                'create table xp.%I partition of xp.ledger for values from (%L) to (%L)',
                v_name, v_month, v_month + interval '1 month');
            v_created := v_created + 1;
        end if;
    end loop;
    return v_created;
end;
$$;

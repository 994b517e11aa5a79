-- drop: drop function if exists xp.rebuild_ranks(text);
-- Rebuilds the rank snapshots of one season, one table per board (mode): exact competition
-- ranks on the total order (xp desc, reached_at, user_id). Each board is bulk-written into a
-- fresh unlogged table (derived data, rebuilt every few seconds: no WAL), indexed once
-- afterwards and analyzed, then xp.rank_generations flips to it in one row update. Readers
-- therefore never wait on a rebuild and never see half of one. The previous generation stays
-- for readers still holding its name; older ones are dropped when no reader holds them (a
-- short lock timeout, else the next rebuild retries). Returns the number of ranked rows.
create or replace function xp.rebuild_ranks(p_season text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_generation bigint;
    v_table text;
    v_rows bigint;
    v_total bigint := 0;
    v_mode text;
    v_old record;
begin
    foreach v_mode in array array['reality', 'cyber'] loop
        v_generation := nextval('xp.rank_generation');
        v_table := format('rank_%s_%s', v_mode, v_generation);
        execute format(
            'create unlogged table xp.%I as
             select user_id, row_number() over (order by xp desc, reached_at, user_id) as rank, xp
             from xp.season_scores where season_id = %L and mode = %L and xp > 0', v_table, p_season, v_mode);
        get diagnostics v_rows = row_count;
        execute format('alter table xp.%I add primary key (user_id)', v_table);
        -- "the weakest entry still ahead of me": smallest xp above mine, last rank among its ties
        execute format('create index on xp.%I (xp, rank desc)', v_table);
        execute format('create unique index on xp.%I (rank)', v_table);
        execute format('analyze xp.%I', v_table);
        insert into xp.rank_tables (season_id, mode, generation, table_name) values (p_season, v_mode, v_generation, v_table);
        insert into xp.rank_generations as g (season_id, mode, generation, table_name, generated_at, rows)
        values (p_season, v_mode, v_generation, v_table, now(), v_rows)
        on conflict (season_id, mode) do update
            set generation = excluded.generation, table_name = excluded.table_name,
                generated_at = excluded.generated_at, rows = excluded.rows;
        v_total := v_total + v_rows;
    end loop;
    perform set_config('lock_timeout', '20ms', true);
    for v_old in
        select t.table_name from xp.rank_tables t
        where t.season_id = p_season
          and t.generation < (select min(g2.generation) from (
                select generation from xp.rank_tables where season_id = p_season and mode = t.mode
                order by generation desc limit 2) g2)
    loop
        begin
            execute format('drop table if exists xp.%I', v_old.table_name);
            delete from xp.rank_tables where table_name = v_old.table_name;
        exception when lock_not_available then
            null;  -- a reader still holds it: the next rebuild drops it
        end;
    end loop;
    return v_total;
end;
$$;

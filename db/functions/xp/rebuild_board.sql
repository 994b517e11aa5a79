-- drop: drop function if exists xp.rebuild_board(text, text);
-- Rebuilds the rank snapshot of one board (season and mode): exact competition ranks on the
-- board's total order (xp desc, reached_at, user_id), bulk-written into a fresh unlogged
-- table (derived data, rebuilt every few seconds: no WAL) with a single index on that order,
-- (neg_xp, reached_at, user_id) with the rank alongside, which answers both "my rank" (the last
-- entry at or before my place) and "who is around me" (a walk each way). Then
-- xp.rank_generations flips to it in one row update: readers never wait on a rebuild and never
-- see half of one. The previous generation stays for readers still holding its name; older
-- ones are dropped when no reader holds them (a short lock timeout, else the next rebuild
-- retries). Returns the number of ranked rows.
create or replace function xp.rebuild_board(p_season text, p_mode text)
returns bigint
language plpgsql
volatile
as $$
declare
    v_generation bigint := nextval('xp.rank_generation');
    v_table text := format('rank_%s_%s', p_mode, v_generation);
    v_rows bigint;
    v_old record;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    execute format(
        'create unlogged table xp.%I as
         select row_number() over (order by xp desc, reached_at, user_id) as rank,
                -xp as neg_xp, reached_at, user_id, xp
         from xp.season_scores where season_id = %L and mode = %L and xp > 0', v_table, p_season, p_mode);
    get diagnostics v_rows = row_count;
    execute format('create index on xp.%I (neg_xp, reached_at, user_id) include (rank, xp)', v_table);
    insert into xp.rank_tables (season_id, mode, generation, table_name) values (p_season, p_mode, v_generation, v_table);
    insert into xp.rank_generations as g (season_id, mode, generation, table_name, generated_at, rows)
    values (p_season, p_mode, v_generation, v_table, now(), v_rows)
    on conflict (season_id, mode) do update
        set generation = excluded.generation, table_name = excluded.table_name,
            generated_at = excluded.generated_at, rows = excluded.rows;

    perform set_config('lock_timeout', '20ms', true);
    for v_old in
        select t.table_name from xp.rank_tables t
        where t.season_id = p_season and t.mode = p_mode
          and t.generation < (select min(g2.generation) from (
                select generation from xp.rank_tables where season_id = p_season and mode = p_mode
                order by generation desc limit 2) g2)
    loop
        begin
            execute format('drop table if exists xp.%I', v_old.table_name);
            delete from xp.rank_tables where table_name = v_old.table_name;
        exception when lock_not_available then
            null;  -- a reader still holds it: the next rebuild drops it
        end;
    end loop;
    return v_rows;
end;
$$;

-- drop: drop function if exists xp.generate_curve(text, integer);
-- Fills the level curve from a preset (operators may then edit rows one by one):
--   default   level 1 at 0, then floor(100 * n^1.5)         (282, 519, 800, 1118, ...)
--   linear    level 1 at 0, then 1000 * (n - 1)
--   runescape level 1 at 0, then RuneScape's classic table: floor(sum_{k<n} floor(k + 300 * 2^(k/7)) / 4)
-- Levels and layers of every user are recomputed in the same transaction.
create or replace function xp.generate_curve(p_preset text, p_max_level integer default 100)
returns integer
language plpgsql
volatile
as $$
begin
    if p_max_level < 2 or p_max_level > 1000 then
        raise exception 'max level must be between 2 and 1000' using errcode = 'XP422', detail = 'xp.invalid_max_level';
    end if;
    delete from xp.level_curve;
    if p_preset = 'default' then
        insert into xp.level_curve (level, xp_required)
        select n, case when n = 1 then 0 else floor(100 * power(n, 1.5))::bigint end
        from generate_series(1, p_max_level) n;
    elsif p_preset = 'linear' then
        insert into xp.level_curve (level, xp_required)
        select n, 1000::bigint * (n - 1) from generate_series(1, p_max_level) n;
    elsif p_preset = 'runescape' then
        insert into xp.level_curve (level, xp_required)
        select n, floor(coalesce((select sum(floor(k + 300 * power(2, k / 7.0))) from generate_series(1, n - 1) k), 0) / 4)::bigint
        from generate_series(1, p_max_level) n;
    else
        raise exception 'unknown curve preset %, expected default, linear or runescape', p_preset
            using errcode = 'XP422', detail = 'xp.unknown_curve_preset';
    end if;
    perform xp.recompute_levels();
    return p_max_level;
end;
$$;

-- drop: drop function if exists leagues.tiers(text);
-- GET /leagues/{mode}/tiers: the mode's tiers, bottom first.
create or replace function leagues.tiers(p_mode text)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    if p_mode is null or p_mode not in ('reality', 'cyber') then
        raise exception 'no % league: mode must be reality or cyber', p_mode
            using errcode = 'XP404', detail = 'leagues.unknown_mode';
    end if;
    return jsonb_build_object(
        'mode', p_mode,
        'tiers', coalesce((select jsonb_agg(leagues.tier_json(t) order by t.position)
                           from leagues.tiers t where t.mode = p_mode), '[]'::jsonb));
end;
$$;

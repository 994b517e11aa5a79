-- drop: drop function if exists leagues.me(text, uuid);
-- GET /leagues/{mode}/me: the caller's league this season. A member: their tier, cohort, rank
-- and the zones (ranked live by season XP in the board order, xp desc, reached_at, user_id,
-- at generated_at), and every member of the cohort. Not a member yet (no XP in the mode this
-- season): the tier they will join, cohort, rank and zones null, no members.
create or replace function leagues.me(p_mode text, p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_season text := to_char(now() at time zone 'UTC', 'YYYY-MM');
    v_member leagues.members;
    v_tier leagues.tiers;
    v_n integer;
    v_rank integer;
    v_members jsonb;
    v_top boolean;
    v_bottom boolean;
    v_promote integer;
    v_demote integer;
begin
    if p_mode is null or p_mode not in ('reality', 'cyber') then
        raise exception 'no % league: mode must be reality or cyber', p_mode
            using errcode = 'XP404', detail = 'leagues.unknown_mode';
    end if;
    select * into v_member from leagues.members m
     where m.season_id = v_season and m.mode = p_mode and m.user_id = p_user_id;
    if found then
        select * into v_tier from leagues.tiers t where t.mode = p_mode and t.position = v_member.tier;
    else
        select * into v_tier from leagues.tiers t
         where t.mode = p_mode
           and t.position <= coalesce((select p.tier from leagues.placements p
                                        where p.mode = p_mode and p.user_id = p_user_id), 1)
         order by t.position desc limit 1;
        if not found then
            select * into v_tier from leagues.tiers t where t.mode = p_mode order by t.position limit 1;
        end if;
        return jsonb_build_object(
            'season_id', v_season, 'mode', p_mode,
            'tier', case when v_tier.position is null then null else leagues.tier_json(v_tier) end,
            'cohort_id', null, 'rank', null, 'xp', 0, 'promotion', null, 'demotion', null,
            'members', '[]'::jsonb, 'generated_at', now());
    end if;

    with ranked as (
        select m.user_id, coalesce(s.xp, 0) as xp,
               rank() over (order by coalesce(s.xp, 0) desc, s.reached_at, m.user_id) as rank
        from leagues.members m
        left join xp.season_scores s on s.season_id = m.season_id and s.mode = m.mode and s.user_id = m.user_id
        where m.cohort_id = v_member.cohort_id
    )
    select count(*), max(r.rank) filter (where r.user_id = p_user_id),
           jsonb_agg(jsonb_build_object(
               'rank', r.rank, 'xp', r.xp,
               'user', jsonb_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name,
                                          'avatar_url', u.avatar_url)) order by r.rank)
      into v_n, v_rank, v_members
      from ranked r join app.users u on u.id = r.user_id;

    v_top := not exists (select from leagues.tiers t where t.mode = p_mode and t.position > v_member.tier);
    v_bottom := not exists (select from leagues.tiers t where t.mode = p_mode and t.position < v_member.tier);
    if v_n >= v_tier.min_members then
        v_promote := ceil(v_tier.promote_pct * v_n)::integer;
        v_demote := floor(v_tier.demote_pct * v_n)::integer;
    end if;
    return jsonb_build_object(
        'season_id', v_season, 'mode', p_mode, 'tier', leagues.tier_json(v_tier),
        'cohort_id', v_member.cohort_id, 'rank', v_rank,
        'xp', coalesce((select s.xp from xp.season_scores s
                         where s.season_id = v_season and s.mode = p_mode and s.user_id = p_user_id), 0),
        'promotion', case when v_promote > 0 and not v_top
                          then jsonb_build_object('from_rank', 1, 'to_rank', v_promote) end,
        -- where the zones meet, promotion wins (as in leagues.close)
        'demotion', case when v_demote > 0 and not v_bottom
                              and greatest(v_n - v_demote + 1, coalesce(v_promote, 0) + 1) <= v_n
                         then jsonb_build_object('from_rank', greatest(v_n - v_demote + 1, coalesce(v_promote, 0) + 1),
                                                 'to_rank', v_n) end,
        'members', coalesce(v_members, '[]'::jsonb), 'generated_at', now());
end;
$$;

-- drop: drop function if exists leagues.tier_json(leagues.tiers);
-- One tier as the API shows it, with its reward bands.
create or replace function leagues.tier_json(p_tier leagues.tiers)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'position', p_tier.position, 'code', p_tier.code, 'name', p_tier.name,
        'cohort_size', p_tier.cohort_size, 'promote_pct', p_tier.promote_pct, 'demote_pct', p_tier.demote_pct,
        'min_members', p_tier.min_members,
        'rewards', coalesce((select jsonb_agg(jsonb_build_object('from_rank', w.from_rank, 'to_rank', w.to_rank, 'coins', w.coins)
                                              order by w.from_rank)
                             from leagues.rewards w where w.mode = p_tier.mode and w.position = p_tier.position), '[]'::jsonb));
$$;

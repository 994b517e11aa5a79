-- drop: drop function if exists xp.award_fixed(uuid, text, integer, text, text, timestamptz, jsonb);
-- Awards a fixed positive amount in a mode, for sources that pay by rule rather than by
-- activity units (a solved challenge, a completed quest: engage.quest_reward). Same once-only
-- guarantee and answer as xp.award.
create or replace function xp.award_fixed(
    p_user_id uuid, p_mode text, p_xp integer, p_source text, p_idempotency_key text,
    p_occurred_at timestamptz default now(), p_metadata jsonb default '{}'::jsonb
)
returns jsonb
language plpgsql
volatile
as $$
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'mode must be reality or cyber' using errcode = 'XP422', detail = 'xp.unknown_mode';
    end if;
    if p_xp is null or p_xp <= 0 or p_xp > 1000000 then
        raise exception 'xp must be between 1 and 1,000,000' using errcode = 'XP422', detail = 'xp.invalid_amount';
    end if;
    if p_source not in ('challenge', 'bot', 'purchase', 'quest') then
        raise exception 'source % cannot award fixed XP', p_source
            using errcode = 'XP422', detail = 'xp.source_not_allowed';
    end if;
    return xp.book(p_user_id, p_source, p_idempotency_key, coalesce(p_occurred_at, now()), p_metadata, p_mode, p_xp);
end;
$$;

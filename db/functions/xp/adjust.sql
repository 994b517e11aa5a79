-- drop: drop function if exists xp.adjust(uuid, uuid, integer, text, text, text);
-- An admin's compensating event: the only way to negative XP (never below a zero total).
-- Ledger rows are never updated or deleted; a correction is another row. Without a mode it
-- changes the total only; with one, that mode's XP and season score too.
create or replace function xp.adjust(
    p_admin_id uuid, p_user_id uuid, p_xp integer, p_reason text, p_idempotency_key text, p_mode text default null
)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    if p_xp is null or p_xp = 0 or abs(p_xp) > 1000000000 then
        raise exception 'xp must be a non-zero amount' using errcode = 'XP422', detail = 'xp.invalid_amount';
    end if;
    if p_reason is null or char_length(p_reason) < 3 then
        raise exception 'a reason is required' using errcode = 'XP422', detail = 'xp.reason_required';
    end if;
    if p_mode is not null and p_mode not in ('reality', 'cyber') then
        raise exception 'mode must be reality or cyber' using errcode = 'XP422', detail = 'xp.unknown_mode';
    end if;
    return xp.book(p_user_id, 'adjustment', p_idempotency_key, now(),
                   jsonb_build_object('reason', p_reason, 'admin_id', p_admin_id), p_mode, p_xp);
end;
$$;

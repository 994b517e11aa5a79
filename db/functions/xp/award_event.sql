-- drop: drop function if exists xp.award_event(uuid, text, text, numeric, text, timestamptz, jsonb, uuid, uuid);
-- POST /xp/events: resolves the user by id or Discord id, then awards. p_self_only is the
-- caller's own id when a user token (not a trusted API key) is calling: then only
-- self_report activities, only on themselves, and their keys live in their own namespace.
-- p_api_key is the calling API key's id: a trusted service's keys live in that key's
-- namespace (source `activity`), so two services never replay each other's awards.
create or replace function xp.award_event(
    p_user_id uuid, p_discord_id text, p_activity text, p_units numeric, p_idempotency_key text,
    p_occurred_at timestamptz, p_metadata jsonb, p_self_only uuid, p_api_key uuid default null
)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_user_id uuid := p_user_id;
begin
    if v_user_id is null then
        select id into v_user_id from app.users where discord_id = p_discord_id and deleted_at is null;
        if v_user_id is null then
            raise exception 'no user with discord_id %', p_discord_id
                using errcode = 'XP404', detail = 'users.unknown_user';
        end if;
    end if;
    if p_self_only is null then
        return xp.award(v_user_id, p_activity, p_units, 'activity', p_idempotency_key, p_occurred_at, p_metadata,
                        p_api_key::text);
    end if;
    if v_user_id <> p_self_only then
        raise exception 'a user token can only award XP to its own user'
            using errcode = 'XP403', detail = 'xp.not_own_user';
    end if;
    if not exists (select 1 from xp.activity_types where key = p_activity and self_report) then
        if not exists (select 1 from xp.activity_types where key = p_activity and active) then
            raise exception 'no active activity %', p_activity using errcode = 'XP404', detail = 'xp.unknown_activity';
        end if;
        raise exception 'activity % cannot be self-reported; it needs a trusted service', p_activity
            using errcode = 'XP403', detail = 'xp.not_self_reportable';
    end if;
    return xp.award(v_user_id, p_activity, p_units, 'self_report', p_idempotency_key, p_occurred_at, p_metadata,
                    p_self_only::text);
end;
$$;

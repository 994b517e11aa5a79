-- drop: drop function if exists xp.award_event(uuid, text, text, numeric, text, timestamptz, jsonb, uuid, uuid);
-- POST /xp/events. Who may award what is decided here; the route passes its caller as it is.
-- p_caller_key, a trusted service's API key (the route lets in only keys of scope xp:write):
-- any activity for any user, in that key's idempotency namespace (source `activity`), so two
-- services never replay each other's awards. Otherwise p_caller_user, a signed-in user: only
-- self_report activities, only on themselves, in their own namespace. Called from SQL with
-- neither (an operator's session), it awards as a trusted service without a namespace.
create or replace function xp.award_event(
    p_user_id uuid, p_discord_id text, p_activity text, p_units numeric, p_idempotency_key text,
    p_occurred_at timestamptz, p_metadata jsonb, p_caller_user uuid, p_caller_key uuid default null
)
returns jsonb
language plpgsql
volatile
as $$
declare
    -- an id as given; only a Discord id needs the lookup (a SQL function, planned per transaction)
    v_user_id uuid := coalesce(p_user_id, app.user_id_for(null, p_discord_id));
begin
    if v_user_id is null then
        raise exception 'no user with discord_id %', p_discord_id
            using errcode = 'XP404', detail = 'users.unknown_user';
    end if;
    if p_caller_key is not null or p_caller_user is null then
        return xp.award(v_user_id, p_activity, p_units, 'activity', p_idempotency_key, p_occurred_at, p_metadata,
                        p_caller_key::text);
    end if;
    if v_user_id <> p_caller_user then
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
                    p_caller_user::text);
end;
$$;

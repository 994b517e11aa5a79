-- drop: drop function if exists auth.otp_verify(text, bytea, integer, integer);
-- Checks a login code. Answers a status instead of raising, so that a failed attempt is
-- counted (an exception would roll the count back). The row lock serialises attempts for one
-- address; p_max_failures wrong codes lock it for p_lock_s seconds, even for the right code.
-- A right code is single use and returns the user (created on first login).
create or replace function auth.otp_verify(p_email text, p_code_hmac bytea, p_max_failures integer, p_lock_s integer)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_row auth.otp_codes;
    v_user app.users;
begin
    select * into v_row from auth.otp_codes where email = lower(p_email) for update;
    if not found then
        return jsonb_build_object('status', 'invalid');
    end if;
    if v_row.locked_until is not null and v_row.locked_until > now() then
        return jsonb_build_object('status', 'locked',
            'retry_after', ceil(extract(epoch from v_row.locked_until - now()))::int);
    end if;
    if v_row.code_hmac is null or v_row.expires_at <= now() or v_row.code_hmac <> p_code_hmac then
        update auth.otp_codes
            set failures = case when locked_until is not null and locked_until <= now() then 1 else failures + 1 end,
                locked_until = case
                    when (case when locked_until is not null and locked_until <= now() then 1 else failures + 1 end)
                         >= p_max_failures
                    then now() + make_interval(secs => p_lock_s)
                    else null end
            where email = v_row.email
            returning * into v_row;
        if v_row.locked_until is not null then
            return jsonb_build_object('status', 'locked',
                'retry_after', ceil(extract(epoch from v_row.locked_until - now()))::int);
        end if;
        return jsonb_build_object('status', 'invalid');
    end if;
    delete from auth.otp_codes where email = v_row.email;
    v_user := auth.user_for_email(p_email);
    return jsonb_build_object('status', 'ok', 'user', auth.user_json(v_user));
end;
$$;

-- drop: drop function if exists auth.otp_store(text, bytea, integer);
-- Stores the HMAC of a fresh login code for an address (never the code), replacing any
-- earlier code. Failure counts and a lock survive a new code: requesting codes is no way
-- around the brute-force lock.
create or replace function auth.otp_store(p_email text, p_code_hmac bytea, p_ttl_s integer)
returns void
language sql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
    insert into auth.otp_codes (email, code_hmac, expires_at)
    values (lower(p_email), p_code_hmac, now() + make_interval(secs => p_ttl_s))
    on conflict (email) do update
        set code_hmac = excluded.code_hmac,
            expires_at = excluded.expires_at;
$$;

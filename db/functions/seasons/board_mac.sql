-- drop: drop function if exists seasons.board_mac(text);
-- HMAC-SHA256 (RFC 2104) of a board cursor's message under this installation's secret, base64url
-- without padding. Built from the builtin sha256() (no pgcrypto): sha256((K xor opad) ||
-- sha256((K xor ipad) || m)). seasons.cursor_secret holds the two padded keys, derived once by
-- migration 0017 from gen_random_uuid() (pg_strong_random); only the owner can read it. HMAC,
-- not sha256(secret || m), because the latter is length-extendable.
-- plpgsql, not sql: its statement's plan is cached per session (a sql function called from the
-- board's page statement was planned afresh on every page: +0.7 ms a page).
create or replace function seasons.board_mac(p_message text)
returns text
language plpgsql
stable
as $$
declare
    v_inner bytea;
    v_outer bytea;
begin
    select s.inner_key, s.outer_key into v_inner, v_outer from seasons.cursor_secret s;
    return translate(encode(sha256(v_outer || sha256(v_inner || convert_to(p_message, 'UTF8'))), 'base64'),
                     '+/=', '-_');
end;
$$;

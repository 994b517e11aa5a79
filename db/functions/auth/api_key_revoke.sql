-- drop: drop function if exists auth.api_key_revoke(uuid);
create or replace function auth.api_key_revoke(p_id uuid)
returns jsonb
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_key jsonb;
begin
    update auth.api_keys set revoked_at = coalesce(revoked_at, now()) where id = p_id
    returning jsonb_build_object('id', id, 'name', name, 'prefix', prefix, 'revoked_at', revoked_at) into v_key;
    if v_key is null then
        raise exception 'no API key %', p_id using errcode = 'XP404', detail = 'auth.unknown_api_key';
    end if;
    return v_key;
end;
$$;

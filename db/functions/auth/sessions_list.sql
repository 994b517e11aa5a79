-- drop: drop function if exists auth.sessions_list(uuid);
-- A user's live sessions (refresh-token families not revoked with an unexpired, unspent token),
-- newest use first.
create or replace function auth.sessions_list(p_user_id uuid)
returns jsonb
language sql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
               'id', f.id, 'created_at', f.created_at, 'last_used_at', coalesce(f.last_used_at, f.created_at))
             order by coalesce(f.last_used_at, f.created_at) desc), '[]'::jsonb)
      from auth.refresh_families f
     where f.user_id = p_user_id and f.revoked_at is null
       and exists (select 1 from auth.refresh_tokens t
                    where t.family_id = f.id and t.used_at is null and t.expires_at > now());
$$;

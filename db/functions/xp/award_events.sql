-- drop: drop function if exists xp.award_events(uuid[], text[], text[], numeric[], text[], timestamptz[], jsonb[], uuid[], uuid[]);
-- POST /xp/events, batched: the API sends the awards that arrive while an earlier call is
-- still running as one call (one round trip and one commit for all). Item i of every array is
-- one xp.award_event call. Each runs in its own subtransaction, so one item's error (an unknown
-- user, a reused key) undoes only that item and comes back as its sqlstate, message and
-- detail (an XP error's detail is its problem code, src/sql/errors.py). Items
-- are booked in user id order (Discord ids resolved first), so two batches lock users in the
-- same order and cannot deadlock each other. One row per item (item = its index). Batches stay
-- small (the API sends at most 32): past 64 subtransactions PostgreSQL's snapshot cache
-- overflows.
create or replace function xp.award_events(
    p_user_ids uuid[], p_discord_ids text[], p_activities text[], p_units numeric[], p_keys text[],
    p_occurred_at timestamptz[], p_metadata jsonb[], p_caller_users uuid[], p_caller_keys uuid[] default null
)
returns table (item integer, error_code text, replayed boolean, body text, error_detail text)
language plpgsql
volatile
security definer set search_path = pg_catalog, pg_temp
-- Every statement under this call (xp.book and its hooks) is a keyed probe or write on a small
-- table or one user's rows: a generic plan is as good as a custom one, and re-planning
-- custom plans was 30-40% of the backend's CPU per award (bench/README.md, "Where the time goes").
set plan_cache_mode = force_generic_plan
as $$
declare
    v_users uuid[] := p_user_ids;
    v_result jsonb;
    v_i integer;
    v_joins jsonb[] := '{}';
    v_join jsonb;
begin
    if cardinality(p_keys) > 64 then
        raise exception 'at most 64 awards per batch' using errcode = 'XP422', detail = 'xp.batch_too_large';
    end if;
    -- Resolve Discord ids up front, so the lock order below holds for them too.
    if array_position(p_user_ids, null) is not null then
        v_users := array(select app.user_id_for(p_user_ids[i], p_discord_ids[i])
                         from generate_subscripts(p_keys, 1) as i order by i);
    end if;

    -- A season's first XP seats the user in a league cohort (leagues.join), which locks the
    -- tier's open cohort (leagues.openings) to commit. Taken inside the loop, that lock would
    -- sit between user locks, and two batches could deadlock; so xp.book leaves the joins of a
    -- batch to here, after every user lock. They take the cohort locks in one order for every
    -- batch, season, mode, then tier (a user's tier rises with their placement), arrival order
    -- within a tier: in arrival order, a batch joining reality then cyber and one joining cyber
    -- then reality deadlocked (bench/engage.py, new users at two calls at a time).
    perform set_config('xpcore.deferred_joins', 'on', true);
    for v_i in select i from generate_subscripts(p_keys, 1) as i order by v_users[i], i loop
        begin
            v_result := xp.award_event(coalesce(v_users[v_i], p_user_ids[v_i]), p_discord_ids[v_i], p_activities[v_i],
                                       p_units[v_i], p_keys[v_i], p_occurred_at[v_i], p_metadata[v_i], p_caller_users[v_i],
                                       p_caller_keys[v_i]);
            item := v_i;
            error_code := null;
            replayed := (v_result->>'replayed')::boolean;
            body := v_result::text;
            error_detail := null;
            if not replayed and (v_result->>'xp_awarded')::bigint > 0 and v_result->>'mode' is not null
               and (v_result->>'season_xp')::bigint = (v_result->>'xp_awarded')::bigint then
                v_joins := v_joins || jsonb_build_object('item', v_i, 'season', v_result->>'season_id',
                                                         'mode', v_result->>'mode', 'user', v_result->>'user_id');
            end if;
        exception when others then
            item := v_i;
            get stacked diagnostics error_code = returned_sqlstate, body = message_text,
                                    error_detail = pg_exception_detail;
            replayed := null;
        end;
        return next;
    end loop;
    perform set_config('xpcore.deferred_joins', 'off', true);
    for v_join in
        select j from unnest(v_joins) j
          left join leagues.placements p on p.mode = j->>'mode' and p.user_id = (j->>'user')::uuid
         order by j->>'season', j->>'mode', coalesce(p.tier, 0), (j->>'item')::int
    loop
        perform leagues.join(v_join->>'season', v_join->>'mode', (v_join->>'user')::uuid);
    end loop;
end;
$$;

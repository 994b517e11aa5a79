-- drop: drop function if exists engage.quest_assign(uuid, timestamptz, text[]);
-- Gives a user their quests of each of p_periods for the period p_at falls in (in the user's
-- time zone), unless that period has ended or is assigned already: one engage.quest_progress
-- row per period, one array element per quest drawn (in quest id order). The caller holds the
-- user's totals lock (xp.book's first lock; engage.quests_for takes it), so one period is
-- assigned once. The draw is deterministic: the active quests of the period ordered by a
-- weighted key from md5(user, period key, quest key) (Efraimidis-Spirakis: ln(u) / weight,
-- highest first), the first engage.quest_settings.per_user of them. A retry, or a read racing
-- an award, draws the same set. Returns how many quests it assigned.
create or replace function engage.quest_assign(p_user_id uuid, p_at timestamptz, p_periods text[])
returns integer
language plpgsql
volatile
as $$
declare
    v_tz text;
    v_period text;
    v_p record;
    v_n integer;
    v_total integer := 0;
begin
    select u.timezone into v_tz from app.users u where u.id = p_user_id;
    foreach v_period in array p_periods loop
        select * into v_p from engage.quest_period(v_period, p_at, coalesce(v_tz, 'UTC'));
        continue when v_p.expires_at <= now() or exists (
            select from engage.quest_progress s
             where s.user_id = p_user_id and s.expires_at > p_at and s.starts_at <= p_at and s.period = v_period);
        insert into engage.quest_progress (user_id, period, period_key, starts_at, expires_at, open, quest_ids, kinds,
                                           modes, activity_keys, targets, reward_xp, reward_coins, progress,
                                           completed_at, event_ids)
        select p_user_id, v_period, v_p.period_key, v_p.starts_at, v_p.expires_at, count(*),
               array_agg(d.id order by d.id), array_agg(d.kind order by d.id), array_agg(d.mode order by d.id),
               array_agg(d.activity_key order by d.id), array_agg(d.target order by d.id),
               array_agg(d.reward_xp order by d.id), array_agg(d.reward_coins order by d.id),
               array_agg(0::numeric order by d.id), array_agg(null::timestamptz order by d.id),
               array_agg(null::bigint order by d.id)
          from (select q.id, q.kind, q.mode, q.activity_key, q.target, q.reward_xp, q.reward_coins
                  from engage.quests q
                 where q.active and q.period = v_period
                 order by ln((('x' || substr(md5(p_user_id::text || ':' || v_p.period_key || ':' || q.key), 1, 13))::bit(52)::bigint + 1)
                             / 4503599627370496.0) / q.weight desc, q.key
                 limit coalesce((select s.per_user from engage.quest_settings s where s.period = v_period), 0)) d
        having count(*) > 0
        on conflict do nothing
        returning cardinality(quest_ids) into v_n;
        v_total := v_total + coalesce(v_n, 0);
    end loop;
    return v_total;
end;
$$;

-- drop: drop function if exists engage.quest_assign(uuid, timestamptz, text[]);
-- Gives a user their quests of each of p_periods for the period p_at falls in (in the user's
-- time zone), unless that period has ended or is assigned already. The caller holds the user's
-- totals lock (xp.book's first lock; engage.quests_for takes it), so one period is assigned
-- once. The draw is deterministic: the active quests of the period ordered by a weighted key
-- from md5(user, period key, quest key) (Efraimidis-Spirakis: ln(u) / weight, highest first),
-- the first engage.quest_settings.per_user of them. A retry, or a read racing an award, draws
-- the same set. Returns how many rows it wrote.
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
            select from engage.quest_assignments a
             where a.user_id = p_user_id and a.expires_at > p_at and a.starts_at <= p_at and a.period = v_period);
        insert into engage.quest_assignments (user_id, quest_id, period, period_key, starts_at, expires_at,
                                              kind, mode, activity_key, target, reward_xp, reward_coins)
        select p_user_id, q.id, q.period, v_p.period_key, v_p.starts_at, v_p.expires_at,
               q.kind, q.mode, q.activity_key, q.target, q.reward_xp, q.reward_coins
          from engage.quests q
         where q.active and q.period = v_period
         order by ln((('x' || substr(md5(p_user_id::text || ':' || v_p.period_key || ':' || q.key), 1, 13))::bit(52)::bigint + 1)
                     / 4503599627370496.0) / q.weight desc, q.key
         limit coalesce((select s.per_user from engage.quest_settings s where s.period = v_period), 0)
        on conflict do nothing;
        get diagnostics v_n = row_count;
        v_total := v_total + v_n;
    end loop;
    return v_total;
end;
$$;

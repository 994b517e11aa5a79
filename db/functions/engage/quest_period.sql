-- drop: drop function if exists engage.quest_period(text, timestamptz, text);
-- The period a moment falls in, in a time zone: 'daily' is the local date (key '2026-12-03'),
-- 'weekly' the ISO week from its local Monday (key '2026-W49'). starts_at and expires_at are
-- the local midnights that bound it, as instants (a DST day is 23 or 25 hours long).
create or replace function engage.quest_period(p_period text, p_at timestamptz, p_tz text)
returns table (period_key text, starts_at timestamptz, expires_at timestamptz)
language sql
stable
as $$
    select case p_period when 'daily' then to_char(s.d, 'YYYY-MM-DD') else to_char(s.d, 'IYYY-"W"IW') end,
           s.d::timestamp at time zone p_tz,
           (s.d + case p_period when 'daily' then 1 else 7 end)::timestamp at time zone p_tz
      from (select case p_period when 'daily' then (p_at at time zone p_tz)::date
                                 else date_trunc('week', p_at at time zone p_tz)::date end as d) s;
$$;

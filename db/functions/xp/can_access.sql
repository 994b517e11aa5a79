-- drop: drop function if exists xp.can_access(uuid, text);
-- Event gating: has the user reached this layer (in the layer's own mode)?
create or replace function xp.can_access(p_user_id uuid, p_layer_code text)
returns boolean
language sql
stable
as $$
    select coalesce((
        select case l.mode when 'reality' then coalesce(t.reality_level, 1) else coalesce(t.cyber_level, 1) end >= l.min_level
        from xp.layers l
        left join xp.totals t on t.user_id = p_user_id
        where l.code = p_layer_code
    ), false);
$$;

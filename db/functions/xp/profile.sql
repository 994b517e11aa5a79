-- drop: drop function if exists xp.profile(uuid);
-- GET /users/me/profile: totals, level progress, per-mode level and layer, this season's XP
-- and rank per mode (rank null without XP this season; ranks come from xp.season_rank).
create or replace function xp.profile(p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_user app.users;
    v_totals xp.totals;
    v_season text := to_char(now() at time zone 'UTC', 'YYYY-MM');
begin
    select * into v_user from app.users where id = p_user_id and deleted_at is null;
    if not found then
        raise exception 'no user %', p_user_id using errcode = 'XP404', detail = 'users.unknown_user';
    end if;
    select * into v_totals from xp.totals where user_id = p_user_id;
    return jsonb_build_object(
        'user', jsonb_build_object('id', v_user.id, 'username', v_user.username,
                                   'display_name', v_user.display_name, 'avatar_url', v_user.avatar_url),
        'total_xp', coalesce(v_totals.total_xp, 0),
        'level', coalesce(v_totals.level, 1),
        'level_progress', xp.level_progress(coalesce(v_totals.total_xp, 0)) - 'level',
        'modes', jsonb_build_object(
            'reality', jsonb_build_object('xp', coalesce(v_totals.reality_xp, 0), 'level', coalesce(v_totals.reality_level, 1),
                                          'layer', coalesce(v_totals.reality_layer, xp.layer_for('reality', 1))),
            'cyber', jsonb_build_object('xp', coalesce(v_totals.cyber_xp, 0), 'level', coalesce(v_totals.cyber_level, 1),
                                        'layer', coalesce(v_totals.cyber_layer, xp.layer_for('cyber', 1)))),
        'season', jsonb_build_object(
            'id', v_season,
            'reality', xp.season_standing(v_season, 'reality', p_user_id),
            'cyber', xp.season_standing(v_season, 'cyber', p_user_id)));
end;
$$;

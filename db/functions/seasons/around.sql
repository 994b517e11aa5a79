-- drop: drop function if exists seasons.around(text, text, uuid, integer);
-- The caller's standing and the users around them (p_around above and below), from the rank
-- snapshot (exact as of generated_at; one index range). rank null and no entries without XP
-- this season.
create or replace function seasons.around(p_season text, p_mode text, p_user_id uuid, p_around integer)
returns jsonb
language plpgsql
volatile
as $$
declare
    v_season xp.seasons := seasons.resolve(p_season);
    v_around integer := least(greatest(coalesce(p_around, 5), 0), 50);
    v_standing jsonb;
    v_rank bigint;
    v_table text;
    v_entries jsonb;
begin
    if p_mode not in ('reality', 'cyber') then
        raise exception 'no % board: mode must be reality or cyber', p_mode using errcode = 'XP404';
    end if;
    v_standing := xp.season_standing(v_season.id, p_mode, p_user_id);
    v_rank := (v_standing->>'rank')::bigint;
    select table_name into v_table from xp.rank_generations where season_id = v_season.id and mode = p_mode;
    if v_rank is not null and v_table is not null then
        execute format(
            'select jsonb_agg(jsonb_build_object(
                        ''rank'', r.rank,
                        ''user'', jsonb_build_object(''id'', u.id, ''username'', u.username,
                                                   ''display_name'', u.display_name, ''avatar_url'', u.avatar_url),
                        ''xp'', r.xp,
                        ''level'', coalesce(case when $1 = ''reality'' then t.reality_level else t.cyber_level end, 1))
                    order by r.rank)
             from xp.%I r
             join app.users u on u.id = r.user_id
             left join xp.totals t on t.user_id = r.user_id
             where r.rank between $2 and $3', v_table)
            into v_entries using p_mode, v_rank - v_around, v_rank + v_around;
    end if;
    return v_standing || jsonb_build_object('season', seasons.season_json(v_season), 'mode', p_mode,
                                            'entries', coalesce(v_entries, '[]'::jsonb));
end;
$$;

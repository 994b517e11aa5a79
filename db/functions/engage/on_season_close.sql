-- drop: drop function if exists engage.on_season_close(text);
-- The hook seasons.close calls once it froze a season's final standings: a `season_rank`
-- achievement of the board's mode keeps each user's best final rank, and a tier unlocks at or
-- below its threshold (threshold 10 = a top-10 finish). Only ranks within the largest
-- threshold are read (the final_standings_rank index).
create or replace function engage.on_season_close(p_season text)
returns void
language plpgsql
volatile
as $$
declare
    a engage.achievements;
    f record;
begin
    for a in select * from engage.achievements e where e.active and e.kind = 'season_rank' order by e.id loop
        for f in
            select s.user_id, s.rank from seasons.final_standings s
              join app.users u on u.id = s.user_id and u.deleted_at is null
             where s.season_id = p_season and s.mode = a.mode
               and s.rank <= (select max(t.threshold) from engage.tiers t where t.achievement_id = a.id)
             order by s.user_id
        loop
            perform engage.advance(f.user_id, a, f.rank, 'min');
        end loop;
    end loop;
end;
$$;

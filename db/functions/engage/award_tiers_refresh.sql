-- drop: drop trigger if exists achievements_award_tiers on engage.achievements; drop trigger if exists tiers_award_tiers on engage.tiers; drop function if exists engage.award_tiers_refresh(); drop function if exists engage.award_tiers_rebuild();
-- Keeps engage.award_tiers (the flat copy the award's probe reads, engage.on_award) equal to the
-- active tiers of the award kinds, after any statement that writes engage.achievements or
-- engage.tiers: the admin API, the seed, a back-fill's activation or an operator's own UPDATE.
-- The catalogue is a few dozen rows, so it is rebuilt whole. The lock makes two concurrent
-- rebuilds take turns (the second reads the first's committed rows, statements here take a new
-- snapshot each); readers (awards) take no lock that it blocks. Security definer: a role that
-- may edit the catalogue need not be granted the derived table too. db/after_migrate.sql calls
-- the rebuild after every upgrade (the first fill, and a repair if the copy was ever edited).
create or replace function engage.award_tiers_rebuild()
returns void
language plpgsql
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    lock table engage.award_tiers in exclusive mode;
    delete from engage.award_tiers;
    insert into engage.award_tiers (achievement_id, tier, kind, mode, activity_key, threshold, name)
    select e.id, t.tier, e.kind,
       case when e.kind in ('mode_xp', 'layer') then e.mode end,
       case when e.kind in ('activity_events', 'activity_units') then e.activity_key end,
       t.threshold, t.name
      from engage.achievements e
      join engage.tiers t on t.achievement_id = e.id
     where e.active and e.kind in ('total_xp', 'mode_xp', 'level', 'layer', 'activity_events', 'activity_units');
end;
$$;

-- The statement triggers' function: the rebuild, after the writing statement.
create or replace function engage.award_tiers_refresh()
returns trigger
language plpgsql
security definer set search_path = pg_catalog, pg_temp
as $$
begin
    perform engage.award_tiers_rebuild();
    return null;
end;
$$;

create or replace trigger achievements_award_tiers
after insert or update or delete or truncate on engage.achievements
for each statement execute function engage.award_tiers_refresh();

create or replace trigger tiers_award_tiers
after insert or update or delete or truncate on engage.tiers
for each statement execute function engage.award_tiers_refresh();

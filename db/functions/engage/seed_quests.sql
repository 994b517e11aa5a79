-- drop: drop function if exists engage.seed_quests();
-- The shipped quest pool, daily and weekly, for a fitness ("reality") and a coding-game
-- ("cyber") product. db/after_migrate.sql runs it on first install (no quest yet), and
-- `xpcore seed quests` whenever asked: it adds only the keys not there yet, so operators' edits
-- (and the quests they turned on) stay. Each goes through engage.quest_upsert, the checks the
-- admin API uses. They ship inactive, as the achievements do: an active quest is drawn for every
-- user, and its reward is XP, so an operator turns on those that fit the product. Returns how
-- many it added.
create or replace function engage.seed_quests()
returns integer
language plpgsql
volatile
as $$
declare
    v jsonb;
    v_count integer := 0;
begin
    for v in select jsonb_build_object('key', s.key, 'name', s.name, 'description', s.description, 'icon', s.icon,
                                       'period', s.period, 'mode', s.mode, 'active', false,
                                       'goal', jsonb_build_object('kind', s.kind, 'params', s.params::jsonb,
                                                                  'target', s.target),
                                       'reward_xp', s.xp, 'reward_coins', s.coins)
               from (values
        -- reality, daily
        ('daily-run-5k', 'Run 5 km', 'Run 5 km today.', 'shoe', 'daily', 'reality', 'activity_units', '{"activity":"run_km"}', 5, 100, 0),
        ('daily-walk-3k', 'Take a Walk', 'Walk 3 km today.', 'boot', 'daily', 'reality', 'activity_units', '{"activity":"walk_km"}', 3, 40, 0),
        ('daily-pushups-50', 'Fifty Push-ups', 'Do 50 push-ups today.', 'arm', 'daily', 'reality', 'activity_units', '{"activity":"pushup_standard"}', 50, 40, 0),
        ('daily-steps-8k', 'Eight Thousand Steps', 'Walk 8,000 steps today.', 'footprints', 'daily', 'reality', 'activity_units', '{"activity":"steps"}', 8000, 40, 0),
        ('daily-workouts-3', 'Three Workouts', 'Log 3 reality activities today.', 'calendar', 'daily', 'reality', 'activity_events', '{}', 3, 30, 0),
        -- cyber, daily
        ('daily-commits-5', 'Five Commits', 'Push 5 commits today.', 'git', 'daily', 'cyber', 'activity_units', '{"activity":"commit"}', 5, 50, 0),
        ('daily-review-2', 'Two Reviews', 'Do 2 code reviews today.', 'glasses', 'daily', 'cyber', 'activity_units', '{"activity":"code_review"}', 2, 50, 0),
        ('daily-challenge', 'Daily Challenge', 'Complete a coding challenge today.', 'puzzle', 'daily', 'cyber', 'challenges_completed', '{}', 1, 60, 0),
        -- any mode, daily
        ('daily-xp-300', 'Busy Day', 'Earn 300 XP today.', 'spark', 'daily', null, 'total_xp', '{}', 300, 30, 0),
        -- reality, weekly
        ('weekly-run-25k', 'Run 25 km', 'Run 25 km this week.', 'shoe', 'weekly', 'reality', 'activity_units', '{"activity":"run_km"}', 25, 300, 20),
        ('weekly-reality-xp', 'Active Week', 'Earn 2,000 reality XP this week.', 'flame', 'weekly', 'reality', 'mode_xp', '{}', 2000, 200, 10),
        ('weekly-pushups-300', 'Push-up Week', 'Do 300 push-ups this week.', 'arm', 'weekly', 'reality', 'activity_units', '{"activity":"pushup_standard"}', 300, 150, 10),
        -- cyber, weekly
        ('weekly-cyber-500', 'Jacked In', 'Earn 500 cyber XP this week.', 'chip', 'weekly', 'cyber', 'mode_xp', '{}', 500, 200, 10),
        ('weekly-challenges-3', 'Challenge Week', 'Complete 3 coding challenges this week.', 'trophy', 'weekly', 'cyber', 'challenges_completed', '{}', 3, 300, 25),
        ('weekly-bugs-5', 'Bug Sweep', 'Fix 5 bugs this week.', 'bug', 'weekly', 'cyber', 'activity_units', '{"activity":"bug_fixed"}', 5, 200, 10),
        ('weekly-ctf-2', 'Flag Week', 'Capture 2 CTF flags this week.', 'flag', 'weekly', 'cyber', 'activity_units', '{"activity":"ctf_flag"}', 2, 250, 15)
    ) as s(key, name, description, icon, period, mode, kind, params, target, xp, coins)
              where not exists (select from engage.quests q where q.key = s.key)
    loop
        perform engage.quest_upsert(v);
        v_count := v_count + 1;
    end loop;
    return v_count;
end;
$$;

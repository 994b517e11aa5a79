-- drop: drop function if exists engage.seed();
-- The shipped achievements, for a fitness ("reality") and a coding-game ("cyber") product.
-- db/after_migrate.sql runs it on first install only (no achievement yet), so operators' later
-- edits stay; each goes through engage.upsert, the checks the admin API uses. Returns how many.
-- They ship inactive because they serve two products: a fitness product would list "Push your
-- first commit" to every user. An operator turns on the ones the product wants
-- (engage.activate, which back-fills them). Cost is no longer the reason (docs/engagement.md).
create or replace function engage.seed()
returns integer
language plpgsql
volatile
as $$
declare
    v jsonb;
    v_count integer := 0;
begin
    for v in select jsonb_build_object('key', s.key, 'name', s.name, 'description', s.description, 'icon', s.icon,
                                       'active', false,
                                       'mode', s.mode, 'hidden', s.hidden, 'reward_coins', s.coins,
                                       'rule', jsonb_build_object('kind', s.kind, 'params', s.params::jsonb),
                                       'tiers', s.tiers::jsonb)
               from (values
        -- all modes
        ('xp-1k', 'Getting Started', 'Earn 1,000 XP in total.', 'spark', null, false, 10, 'total_xp', '{}',
         '[{"name":"bronze","threshold":1000},{"name":"silver","threshold":10000},{"name":"gold","threshold":100000}]'),
        ('level-up', 'Climber', 'Reach level 10, 25 and 50.', 'ladder', null, false, 25, 'level', '{}',
         '[{"name":"bronze","threshold":10},{"name":"silver","threshold":25},{"name":"gold","threshold":50}]'),
        ('first-purchase', 'Treat Yourself', 'Buy your first item in the store.', 'bag', null, false, 0, 'purchases', '{}',
         '[{"name":"gold","threshold":1}]'),
        ('collector', 'Collector', 'Own 5, 15 and 30 store items.', 'chest', null, false, 0, 'purchases', '{}',
         '[{"name":"bronze","threshold":5},{"name":"silver","threshold":15},{"name":"gold","threshold":30}]'),
        -- reality
        ('reality-streak', 'Every Day Counts', 'Move 7, 30 and 100 days in a row.', 'fire', 'reality', false, 20, 'streak', '{}',
         '[{"name":"bronze","threshold":7},{"name":"silver","threshold":30},{"name":"gold","threshold":100}]'),
        ('reality-streak-year', 'Unbroken', 'Move 365 days in a row.', 'sun', 'reality', true, 500, 'streak', '{}',
         '[{"name":"gold","threshold":365}]'),
        ('reality-xp', 'In the Real World', 'Earn reality XP.', 'globe', 'reality', false, 10, 'mode_xp', '{}',
         '[{"name":"bronze","threshold":500},{"name":"silver","threshold":5000},{"name":"gold","threshold":50000}]'),
        ('reality-layers', 'Deeper Reality', 'Open the reality layers Emotion, Flow and Core.', 'layers', 'reality', false, 50, 'layer', '{}',
         '[{"name":"bronze","threshold":1},{"name":"silver","threshold":2},{"name":"gold","threshold":3}]'),
        ('reality-ultra', 'Ultra', 'Reach the Ultra layer.', 'crown', 'reality', true, 200, 'layer', '{}',
         '[{"name":"gold","threshold":4}]'),
        ('runner', 'Runner', 'Run 10, 100 and 1,000 km.', 'shoe', 'reality', false, 20, 'activity_units', '{"activity":"run_km"}',
         '[{"name":"bronze","threshold":10},{"name":"silver","threshold":100},{"name":"gold","threshold":1000}]'),
        ('first-run', 'First Steps', 'Log your first run.', 'flag', 'reality', false, 5, 'activity_events', '{"activity":"run_km"}',
         '[{"name":"bronze","threshold":1}]'),
        ('run-habit', 'Running Habit', 'Log 10, 50 and 200 runs.', 'calendar', 'reality', false, 15, 'activity_events', '{"activity":"run_km"}',
         '[{"name":"bronze","threshold":10},{"name":"silver","threshold":50},{"name":"gold","threshold":200}]'),
        ('walker', 'Walker', 'Walk 25, 250 and 2,500 km.', 'boot', 'reality', false, 15, 'activity_units', '{"activity":"walk_km"}',
         '[{"name":"bronze","threshold":25},{"name":"silver","threshold":250},{"name":"gold","threshold":2500}]'),
        ('cyclist', 'Cyclist', 'Ride 50, 500 and 5,000 km.', 'bike', 'reality', false, 15, 'activity_units', '{"activity":"cycle_km"}',
         '[{"name":"bronze","threshold":50},{"name":"silver","threshold":500},{"name":"gold","threshold":5000}]'),
        ('swimmer', 'Swimmer', 'Swim 5, 50 and 250 km.', 'wave', 'reality', false, 20, 'activity_units', '{"activity":"swim_km"}',
         '[{"name":"bronze","threshold":5},{"name":"silver","threshold":50},{"name":"gold","threshold":250}]'),
        ('pushups', 'Push It', 'Do 100, 1,000 and 10,000 push-ups.', 'arm', 'reality', false, 15, 'activity_units', '{"activity":"pushup_standard"}',
         '[{"name":"bronze","threshold":100},{"name":"silver","threshold":1000},{"name":"gold","threshold":10000}]'),
        ('pullups', 'Pull Your Weight', 'Do 50, 500 and 5,000 pull-ups.', 'bar', 'reality', false, 20, 'activity_units', '{"activity":"pullup_standard"}',
         '[{"name":"bronze","threshold":50},{"name":"silver","threshold":500},{"name":"gold","threshold":5000}]'),
        ('squats', 'Leg Day', 'Do 200, 2,000 and 20,000 squats.', 'leg', 'reality', false, 10, 'activity_units', '{"activity":"squat_bodyweight"}',
         '[{"name":"bronze","threshold":200},{"name":"silver","threshold":2000},{"name":"gold","threshold":20000}]'),
        ('burpees', 'Burpee Believer', 'Do 100 and 1,000 burpees.', 'flame', 'reality', false, 20, 'activity_units', '{"activity":"burpee"}',
         '[{"name":"bronze","threshold":100},{"name":"gold","threshold":1000}]'),
        ('plank', 'Rock Solid', 'Hold planks for 10 minutes, 1 hour and 10 hours in total.', 'stone', 'reality', false, 10, 'activity_units', '{"activity":"plank_s"}',
         '[{"name":"bronze","threshold":600},{"name":"silver","threshold":3600},{"name":"gold","threshold":36000}]'),
        ('steps', 'Step Counter', 'Walk 100,000, 1 million and 10 million steps.', 'footprints', 'reality', false, 10, 'activity_units', '{"activity":"steps"}',
         '[{"name":"bronze","threshold":100000},{"name":"silver","threshold":1000000},{"name":"gold","threshold":10000000}]'),
        ('yogi', 'Yogi', 'Practise 10 and 100 hours of yoga.', 'lotus', 'reality', false, 10, 'activity_units', '{"activity":"yoga_min"}',
         '[{"name":"bronze","threshold":600},{"name":"gold","threshold":6000}]'),
        ('zen', 'Zen', 'Meditate 30 times.', 'leaf', 'reality', true, 30, 'activity_events', '{"activity":"meditation_min"}',
         '[{"name":"gold","threshold":30}]'),
        ('reality-podium', 'Reality Podium', 'Finish a season in the reality top 100, 10 and 3.', 'medal', 'reality', false, 100, 'season_rank', '{}',
         '[{"name":"bronze","threshold":100},{"name":"silver","threshold":10},{"name":"gold","threshold":3}]'),
        -- cyber
        ('cyber-xp', 'Jacked In', 'Earn cyber XP.', 'chip', 'cyber', false, 10, 'mode_xp', '{}',
         '[{"name":"bronze","threshold":500},{"name":"silver","threshold":5000},{"name":"gold","threshold":50000}]'),
        ('cyber-layers', 'Deeper Code', 'Open the cyber layers DeepNet, Dark-Code and Synthetic.', 'layers', 'cyber', false, 50, 'layer', '{}',
         '[{"name":"bronze","threshold":1},{"name":"silver","threshold":2},{"name":"gold","threshold":3}]'),
        ('void', 'Into the Void', 'Reach the Void layer.', 'eye', 'cyber', true, 200, 'layer', '{}',
         '[{"name":"gold","threshold":4}]'),
        ('first-commit', 'Hello, World', 'Push your first commit.', 'terminal', 'cyber', false, 5, 'activity_events', '{"activity":"commit"}',
         '[{"name":"bronze","threshold":1}]'),
        ('committer', 'Committed', 'Push 100, 1,000 and 10,000 commits.', 'git', 'cyber', false, 15, 'activity_units', '{"activity":"commit"}',
         '[{"name":"bronze","threshold":100},{"name":"silver","threshold":1000},{"name":"gold","threshold":10000}]'),
        ('merger', 'Ship It', 'Get 10, 100 and 500 pull requests merged.', 'merge', 'cyber', false, 20, 'activity_units', '{"activity":"pull_request_merged"}',
         '[{"name":"bronze","threshold":10},{"name":"silver","threshold":100},{"name":"gold","threshold":500}]'),
        ('reviewer', 'Second Pair of Eyes', 'Do 10, 100 and 500 code reviews.', 'glasses', 'cyber', false, 15, 'activity_units', '{"activity":"code_review"}',
         '[{"name":"bronze","threshold":10},{"name":"silver","threshold":100},{"name":"gold","threshold":500}]'),
        ('bug-hunter', 'Bug Hunter', 'Fix 10, 100 and 500 bugs.', 'bug', 'cyber', false, 20, 'activity_units', '{"activity":"bug_fixed"}',
         '[{"name":"bronze","threshold":10},{"name":"silver","threshold":100},{"name":"gold","threshold":500}]'),
        ('ctf', 'Flag Capturer', 'Capture 1, 10 and 50 CTF flags.', 'flag', 'cyber', false, 25, 'activity_units', '{"activity":"ctf_flag"}',
         '[{"name":"bronze","threshold":1},{"name":"silver","threshold":10},{"name":"gold","threshold":50}]'),
        ('focus', 'Deep Focus', 'Complete 10, 100 and 1,000 focus sessions.', 'timer', 'cyber', false, 10, 'activity_events', '{"activity":"focus_session"}',
         '[{"name":"bronze","threshold":10},{"name":"silver","threshold":100},{"name":"gold","threshold":1000}]'),
        ('first-challenge', 'Problem Solver', 'Complete your first coding challenge.', 'puzzle', 'cyber', false, 10, 'challenges_completed', '{}',
         '[{"name":"bronze","threshold":1}]'),
        ('challenger', 'Challenger', 'Complete 5, 25 and 100 coding challenges.', 'trophy', 'cyber', false, 25, 'challenges_completed', '{}',
         '[{"name":"bronze","threshold":5},{"name":"silver","threshold":25},{"name":"gold","threshold":100}]'),
        ('three-stars', 'Flawless', 'Complete a challenge with 3 stars (then 10, then 50).', 'star', 'cyber', false, 20, 'challenge_stars', '{"stars":3}',
         '[{"name":"bronze","threshold":1},{"name":"silver","threshold":10},{"name":"gold","threshold":50}]'),
        ('cyber-streak', 'Daily Coder', 'Code 7, 30 and 100 days in a row.', 'fire', 'cyber', false, 20, 'streak', '{}',
         '[{"name":"bronze","threshold":7},{"name":"silver","threshold":30},{"name":"gold","threshold":100}]'),
        ('cyber-podium', 'Cyber Podium', 'Finish a season in the cyber top 100, 10 and 3.', 'medal', 'cyber', false, 100, 'season_rank', '{}',
         '[{"name":"bronze","threshold":100},{"name":"silver","threshold":10},{"name":"gold","threshold":3}]')
    ) as s(key, name, description, icon, mode, hidden, coins, kind, params, tiers)
    loop
        perform engage.upsert(v);
        v_count := v_count + 1;
    end loop;
    return v_count;
end;
$$;

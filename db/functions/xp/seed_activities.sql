-- drop: drop function if exists xp.seed_activities();
-- The shipped activity types (upsert by key; operators' later edits to rates and caps of these
-- keys are overwritten only by running the seed again). Returns how many rows it wrote.
-- self_report is true only where a false claim is cheap (a few XP, capped per day).
create or replace function xp.seed_activities()
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    insert into xp.activity_types as a (key, name, unit, xp_per_unit, mode, daily_cap_units, self_report)
    values
        -- reality: movement
        ('steps', 'Steps', 'step', 0.2, 'reality', 40000, false),
        ('walk_km', 'Walking', 'km', 60, 'reality', 40, false),
        ('run_km', 'Running', 'km', 300, 'reality', 60, false),
        ('cycle_km', 'Cycling', 'km', 80, 'reality', 200, false),
        ('swim_km', 'Swimming', 'km', 600, 'reality', 10, false),
        ('hike_km', 'Hiking', 'km', 120, 'reality', 50, false),
        ('row_km', 'Rowing', 'km', 350, 'reality', 30, false),
        ('stairs_floor', 'Stairs climbed', 'floor', 8, 'reality', 200, false),
        -- reality: strength
        ('pushup_standard', 'Push-ups (standard)', 'rep', 2, 'reality', 1000, true),
        ('pushup_knee', 'Push-ups (knee)', 'rep', 1, 'reality', 1000, true),
        ('pushup_diamond', 'Push-ups (diamond)', 'rep', 3, 'reality', 800, true),
        ('pushup_decline', 'Push-ups (decline)', 'rep', 3, 'reality', 800, true),
        ('pullup_standard', 'Pull-ups', 'rep', 6, 'reality', 400, true),
        ('pullup_chin', 'Chin-ups', 'rep', 5, 'reality', 400, true),
        ('pullup_assisted', 'Pull-ups (assisted)', 'rep', 2, 'reality', 400, true),
        ('squat_bodyweight', 'Squats (bodyweight)', 'rep', 1, 'reality', 1500, true),
        ('squat_jump', 'Jump squats', 'rep', 2, 'reality', 800, true),
        ('squat_pistol', 'Pistol squats', 'rep', 6, 'reality', 300, true),
        ('lunge', 'Lunges', 'rep', 1, 'reality', 1000, true),
        ('burpee', 'Burpees', 'rep', 4, 'reality', 500, true),
        ('dip', 'Dips', 'rep', 4, 'reality', 500, true),
        ('situp', 'Sit-ups', 'rep', 1, 'reality', 1000, true),
        ('plank_s', 'Plank', 'second', 0.5, 'reality', 1800, true),
        ('side_plank_s', 'Side plank', 'second', 0.6, 'reality', 1200, true),
        ('wall_sit_s', 'Wall sit', 'second', 0.4, 'reality', 1800, true),
        ('jump_rope_min', 'Jump rope', 'minute', 12, 'reality', 120, true),
        -- reality: sessions and habits
        ('strength_session', 'Strength training session', 'session', 250, 'reality', 3, false),
        ('yoga_min', 'Yoga', 'minute', 4, 'reality', 180, true),
        ('meditation_min', 'Meditation', 'minute', 3, 'reality', 120, true),
        ('stretching_min', 'Stretching', 'minute', 2, 'reality', 90, true),
        ('sport_session', 'Team sport session', 'session', 300, 'reality', 3, false),
        ('martial_arts_session', 'Martial arts session', 'session', 350, 'reality', 2, false),
        ('sleep_goal', 'Slept 7+ hours', 'night', 50, 'reality', 1, true),
        ('water_goal', 'Drank 2 l of water', 'day', 20, 'reality', 1, true),
        ('cold_shower', 'Cold shower', 'shower', 15, 'reality', 2, true),
        -- cyber
        ('challenge_solved', 'Coding challenge solved', 'challenge', 100, 'cyber', 50, false),
        ('code_review', 'Code review', 'review', 40, 'cyber', 30, false),
        ('pull_request_merged', 'Pull request merged', 'pr', 120, 'cyber', 20, false),
        ('commit', 'Commit pushed', 'commit', 5, 'cyber', 100, false),
        ('bug_fixed', 'Bug fixed', 'bug', 80, 'cyber', 20, false),
        ('stream_hour', 'Live coding stream', 'hour', 150, 'cyber', 8, false),
        ('pair_programming_hour', 'Pair programming', 'hour', 90, 'cyber', 8, false),
        ('tutorial_written', 'Tutorial written', 'tutorial', 400, 'cyber', 3, false),
        ('talk_given', 'Talk given', 'talk', 600, 'cyber', 2, false),
        ('ctf_flag', 'CTF flag captured', 'flag', 200, 'cyber', 20, false),
        ('focus_session', 'Focused coding session (25 min)', 'session', 25, 'cyber', 16, true),
        ('docs_page', 'Documentation page read', 'page', 3, 'cyber', 60, true),
        ('community_answer', 'Question answered in the community', 'answer', 30, 'cyber', 20, false)
    on conflict (key) do update set
        name = excluded.name, unit = excluded.unit, xp_per_unit = excluded.xp_per_unit, mode = excluded.mode,
        daily_cap_units = excluded.daily_cap_units, self_report = excluded.self_report, updated_at = now();
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

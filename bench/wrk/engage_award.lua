-- POST /api/v1/xp/events with an API key: a random user from $XP_USERS, a random activity of
-- the ones the shipped achievements count (a session-sized number of units), a fresh
-- idempotency key per request. Units stay well under the daily caps for one user's share.
local users = {}
for line in io.lines(os.getenv("XP_USERS")) do users[#users + 1] = line end
local activities = {
  {"run_km", 5}, {"walk_km", 3}, {"cycle_km", 20}, {"swim_km", 1}, {"pushup_standard", 30},
  {"pullup_standard", 10}, {"squat_bodyweight", 50}, {"burpee", 20}, {"plank_s", 60}, {"steps", 2000},
  {"yoga_min", 30}, {"meditation_min", 10}, {"commit", 3}, {"pull_request_merged", 1},
  {"code_review", 2}, {"bug_fixed", 1}, {"ctf_flag", 1}, {"focus_session", 1},
}
local run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("XP_KEY")
request = function()
  counter = counter + 1
  local a = activities[math.random(#activities)]
  local body = string.format(
    '{"user":{"id":"%s"},"activity":"%s","units":%d,"idempotency_key":"engage-%s-%d"}',
    users[math.random(#users)], a[1], a[2], run, counter)
  return wrk.format(nil, "/api/v1/xp/events", nil, body)
end

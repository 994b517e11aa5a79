-- POST /api/v1/xp/events with an API key: a random user from $XP_USERS, a fresh idempotency key
-- per request (steps: 50 units, capped at 40,000 a day, so caps never bind during a run).
local users = {}
for line in io.lines(os.getenv("XP_USERS")) do users[#users + 1] = line end
local run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("XP_KEY")
request = function()
  counter = counter + 1
  local body = string.format(
    '{"user":{"id":"%s"},"activity":"steps","units":50,"idempotency_key":"bench-%s-%d"}',
    users[math.random(#users)], run, counter)
  return wrk.format(nil, "/api/v1/xp/events", nil, body)
end

-- GET the caller's own rank alone (around=0), as a random signed-in user.
local tokens = {}
for line in io.lines(os.getenv("XP_TOKENS")) do tokens[#tokens + 1] = line end
wrk.method = "GET"
request = function()
  local headers = { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
  return wrk.format(nil, "/api/v1/seasons/current/leaderboards/reality/me?around=0", headers, nil)
end

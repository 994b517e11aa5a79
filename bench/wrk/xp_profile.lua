-- GET /api/v1/users/me/profile as a random signed-in user (Bearer tokens from $XP_TOKENS).
local tokens = {}
for line in io.lines(os.getenv("XP_TOKENS")) do tokens[#tokens + 1] = line end
wrk.method = "GET"
request = function()
  local headers = { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
  return wrk.format(nil, "/api/v1/users/me/profile", headers, nil)
end

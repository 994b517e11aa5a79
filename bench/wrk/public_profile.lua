-- GET /api/v1/users/{username} (anonymous): a random username from $XP_USERNAMES.
local names = {}
for line in io.lines(os.getenv("XP_USERNAMES")) do names[#names + 1] = line end
wrk.method = "GET"
request = function()
  return wrk.format(nil, "/api/v1/users/" .. names[math.random(#names)], nil, nil)
end

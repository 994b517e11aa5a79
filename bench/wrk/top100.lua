-- GET a season board's first page of 100 (anonymous).
wrk.method = "GET"
request = function()
  return wrk.format(nil, "/api/v1/seasons/current/leaderboards/" .. os.getenv("XP_MODE") .. "?limit=100")
end

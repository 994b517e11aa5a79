-- POST /award with a random user among 100k; each request a new body.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time())
request = function()
  local body = string.format('{"user": %d, "xp": %d}', math.random(1, 100000), math.random(1, 50))
  return wrk.format(nil, "/award", nil, body)
end

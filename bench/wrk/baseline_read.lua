-- GET /read?user=N with a random user among 100k: the bare read baseline.
wrk.method = "GET"
math.randomseed(os.time())
request = function()
  return wrk.format(nil, "/read?user=" .. math.random(1, 100000), nil, nil)
end

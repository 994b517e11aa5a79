-- GET /health: the framework's floor (middleware, routing, serialization), no database.
wrk.method = "GET"

"""The SQL the application sends: one small module per area, each statement calling a
db function or reading a view. `errors` maps the SQLSTATEs those functions raise to HTTP."""

"""Identity: who is calling (JWT in header or cookie, or an API key) and what they may do."""

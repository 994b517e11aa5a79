"""Identity: who is calling (JWT in header or cookie, or an API key) and what they may do;
the sign-in endpoints (e-mail code, OAuth) and the admin's API keys."""

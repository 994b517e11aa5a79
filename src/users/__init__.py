"""Users: the caller's own account, their sessions, public profiles, and lookup for services."""

"""xpcore: gamification core service (users, XP, levels, layers, seasons, leaderboards)."""

"""Seasons, boards and ranks: monthly seasons, the season and all-time boards, rank snapshots."""

"""Engagement: achievements (rules as data in schema `engage`, docs/engagement.md)."""

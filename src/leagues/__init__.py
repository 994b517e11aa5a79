"""Leagues: seasonal divisions per mode, cohorts, promotion and relegation (docs/leagues.md)."""

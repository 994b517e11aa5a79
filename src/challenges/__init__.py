"""Coding challenges: the catalog players unlock in order, the judge's view and verdicts."""

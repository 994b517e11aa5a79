"""The platform: liveness, readiness, and the worker's heartbeat."""

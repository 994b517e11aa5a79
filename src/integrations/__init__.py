"""Thin adapters for remote services (SES, FCM, Razorpay, OAuth providers), each with an
overridable endpoint so tests reach a local fake through the real client library."""

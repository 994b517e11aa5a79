"""BI at scale: the refresh of the analytics schema's materialized views (docs/analytics.md)."""

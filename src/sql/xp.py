"""SQL the XP endpoints send: each statement is one call into a db function of schema `xp`."""

# POST /xp/events: many awards in one call (src/award_batcher.py); metadata travels as JSON text.
AWARD_EVENTS = (
    "select item, error_code, replayed, body from xp.award_events($1, $2, $3, $4, $5, $6, $7::text[]::jsonb[], $8, $9)"
)
ADJUST = "select xp.adjust($1, $2, $3, $4, $5, $6)"
PROFILE = "select xp.profile($1)::text"
EVENTS_PAGE = "select xp.events_page($1, $2, $3)"
ACTIVITIES = "select xp.activities()"
LEVELS = "select xp.levels()"
LAYERS = "select xp.layers()"
ACTIVITY_CREATE = "select xp.activity_create($1)"
ACTIVITY_UPDATE = "select xp.activity_update($1, $2)"

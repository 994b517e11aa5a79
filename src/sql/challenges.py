"""SQL the challenge endpoints send (functions of schema `challenges`)."""

LIST = "select challenges.list_for($1)::text"
GET = "select challenges.get_for($1, $2)::text"
START = "select challenges.start($1, $2)"
JUDGE = "select challenges.judge_view($1)::text"
COMPLETE = "select challenges.complete($1, $2, $3, $4, $5)"
UPSERT = "select challenges.upsert($1)"
DEACTIVATE = "update challenges.challenges set active = false, updated_at = now() where slug = $1 returning slug"

"""SQL the seasons and leaderboard endpoints send (functions of schema `seasons`)."""

LIST = "select seasons.list()"
GET = "select seasons.season_json(seasons.resolve($1))"
LEADERBOARD = "select seasons.leaderboard($1, $2, $3, $4)::text"
AROUND = "select seasons.around($1, $2, $3, $4)::text"
ALL_TIME = "select seasons.all_time($1, $2)::text"

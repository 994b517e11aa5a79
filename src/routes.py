"""Every route handler the app serves: each area's controllers, from `src/<area>/routes.py`.

Controllers are thin (validate, authenticate, one call into `src/<area>/calls.py`, shape the
answer); they receive the database as the `db` dependency (src/app.py).
"""

from src.auth.routes import ApiKeysController, AuthController, JWKSController, OAuthController
from src.challenges.routes import ChallengeAdminController, ChallengesController
from src.engagement.routes import (
    AchievementAdminController,
    QuestAdminController,
    StreaksController,
    UserAchievementsController,
    UserQuestsController,
)
from src.leagues.routes import LeaguesController
from src.live.routes import LiveController
from src.notifications.routes import NotificationsController
from src.platform.routes import HealthController
from src.seasons.routes import SeasonsController
from src.store.routes import PaymentsController, StoreController
from src.users.routes import UsersController
from src.xp.routes import XPController

ROUTES: list[type] = [
    HealthController,
    JWKSController,
    AuthController,
    OAuthController,
    UsersController,
    ApiKeysController,
    XPController,
    SeasonsController,
    LeaguesController,
    LiveController,
    NotificationsController,
    StoreController,
    PaymentsController,
    ChallengesController,
    ChallengeAdminController,
    UserAchievementsController,
    AchievementAdminController,
    StreaksController,
    UserQuestsController,
    QuestAdminController,
]

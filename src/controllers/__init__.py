"""HTTP controllers: one module per area, thin (validate, authenticate, one SQL call, shape).

`ROUTES` is every route handler the app serves; each area adds its controllers here.
"""

from src.controllers.api_keys import ApiKeysController
from src.controllers.auth import AuthController, JWKSController
from src.controllers.challenges import ChallengeAdminController, ChallengesController
from src.controllers.health import HealthController
from src.controllers.notifications import NotificationsController
from src.controllers.oauth import OAuthController
from src.controllers.payments import PaymentsController
from src.controllers.seasons import SeasonsController
from src.controllers.store import StoreController
from src.controllers.users import UsersController
from src.controllers.xp import ActivityAdminController, XPController

ROUTES: list[type] = [
    HealthController,
    JWKSController,
    AuthController,
    OAuthController,
    UsersController,
    ApiKeysController,
    XPController,
    ActivityAdminController,
    SeasonsController,
    NotificationsController,
    StoreController,
    PaymentsController,
    ChallengesController,
    ChallengeAdminController,
]

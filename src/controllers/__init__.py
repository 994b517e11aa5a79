"""HTTP controllers: one module per area, thin (validate, authenticate, one SQL call, shape).

`ROUTES` is every route handler the app serves; each area adds its controllers here.
"""

from src.controllers.health import HealthController

ROUTES: list[type] = [
    HealthController,
]

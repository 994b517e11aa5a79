"""The API docs UI, served from files installed with the project, never from a CDN.

Litestar's render plugins load Swagger UI and Scalar from jsDelivr by default, so the docs
were a blank page wherever the browser has no internet access (air-gapped deployments, CI,
an intranet). `swagger-ui-py` ships Swagger UI 5 (which renders OpenAPI 3.1); its static
folder is mounted at `/schema/assets` and both `/schema` and `/schema/swagger` use it.
"""

from __future__ import annotations

from pathlib import Path

from litestar.openapi.plugins import OpenAPIRenderPlugin, SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

ASSETS_PATH = "/schema/assets"
# What the page loads; checked at start so that a broken install fails loudly.
ASSET_FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
    "favicon-32x32.png",
    "oauth2-redirect.html",
)


def assets_dir() -> Path:
    import swagger_ui

    return Path(swagger_ui.__file__).parent / "static"


def render_plugins() -> list[OpenAPIRenderPlugin]:
    def swagger(path: str) -> SwaggerRenderPlugin:
        return SwaggerRenderPlugin(
            path=path,
            js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            css_url=f"{ASSETS_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        )

    # `/` first: it is the page `/schema` answers with.
    return [swagger("/"), swagger("/swagger")]


def assets_router() -> Router:
    directory = assets_dir()
    missing = [name for name in ASSET_FILES if not (directory / name).is_file()]
    if missing:  # a broken install must fail at start, not render a blank page
        raise RuntimeError(f"swagger-ui-py is missing {', '.join(missing)} under {directory}")
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[directory],
        include_in_schema=False,
        name="docs-assets",
    )

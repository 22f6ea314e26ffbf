"""GraphiQL in development, from files on this machine: nothing comes from a CDN.

strawberry's own GraphiQL page loads React and GraphiQL from a public CDN, so offline it shows
"Loading..." for ever. This page (``server/graphiql/``) loads the UMD builds that ``make setup``
installs from the npm lock file (React 18, GraphiQL 3 and its explorer plugin), which this app
serves under ``/graphiql/`` from an allow-list: nothing else of ``node_modules`` is reachable.
Its Content-Security-Policy lets the page load and fetch from this origin only.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from server.settings import REPO_ROOT

PAGE_DIR = Path(__file__).resolve().parent / "graphiql"
NODE_MODULES = REPO_ROOT / "node_modules"
ASSET_PATH = "/graphiql"
# Inline styles are React's and CodeMirror's; every script and request stays on this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def graphiql_assets(node_modules: Path = NODE_MODULES) -> dict[str, Path]:
    """The files the page loads, by the name it asks for: the only ones served."""
    return {
        "react.production.min.js": node_modules / "react" / "umd" / "react.production.min.js",
        "react-dom.production.min.js": node_modules / "react-dom" / "umd" / "react-dom.production.min.js",
        "graphiql.min.js": node_modules / "graphiql" / "graphiql.min.js",
        "graphiql.min.css": node_modules / "graphiql" / "graphiql.min.css",
        "plugin-explorer.umd.js": node_modules / "@graphiql" / "plugin-explorer" / "dist" / "index.umd.js",
        "plugin-explorer.css": node_modules / "@graphiql" / "plugin-explorer" / "dist" / "style.css",
        "page.css": PAGE_DIR / "page.css",
        "start.js": PAGE_DIR / "start.js",
    }


class GraphiQLPage:
    """The page and its files; when ``make setup`` has not installed them, a page that says so."""

    def __init__(self, assets: dict[str, Path] | None = None) -> None:
        self.assets = graphiql_assets() if assets is None else assets

    def page(self) -> Response:
        missing = sorted(name for name, path in self.assets.items() if not path.is_file())
        if missing:  # checked per request: `make setup` may run while the server does
            return HTMLResponse(
                "<!doctype html><title>GraphiQL unavailable</title><p>GraphiQL's files are not "
                f"installed ({', '.join(missing)}): run <code>make setup</code>, then reload.</p>",
                status_code=503,
            )
        html = (PAGE_DIR / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    async def asset(self, request: Request) -> Response:
        path = self.assets.get(request.path_params["name"])
        if path is None or not path.is_file():
            return PlainTextResponse("Not Found", status_code=404)
        # The files change only with `make setup`: revalidated, never stale.
        return FileResponse(path, headers={"Cache-Control": "no-cache"})

    def routes(self) -> list[Route]:
        return [Route(f"{ASSET_PATH}/{{name}}", self.asset, methods=["GET", "HEAD"])]


__all__ = ["ASSET_PATH", "CONTENT_SECURITY_POLICY", "GraphiQLPage", "graphiql_assets"]

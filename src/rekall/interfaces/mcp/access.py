"""Who may call the HTTP server: bearer tokens checked per request, read-only tokens kept
to the read tools, and every write recorded under the token's name."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from mcp_types import CallToolResult, TextContent
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from rekall.service import Rekall
from rekall.storage.tokens_repo import TokenRecord

STATE_KEY = "rekall_token"


def unauthorized(reason: str) -> JSONResponse:
    """401 with the challenge clients expect."""
    return JSONResponse(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": reason}},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="rekall"'},
    )


class TokenGate:
    """ASGI middleware: when tokens are required, a request without a valid one gets 401.

    required: tokens are required from the start (the base records tokens, revoked ones
    included). Else, on a loopback server of a base that never had one, from the first
    request after one is created; from then on for the life of the server, so that nothing
    done to the base (revoking, purging) turns a guarded server into an open one. The token
    is checked against the base on every request, so a revoked one stops working at once.
    """

    def __init__(self, app: ASGIApp, service: Rekall, required: bool) -> None:
        self.app = app
        self.service = service
        self.required = required

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websocket is served: refused, never let through
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        # Only ever raised: a read begun before a token existed may end after another
        # request found one, and must not lower the guard again.
        if not self.required and await anyio.to_thread.run_sync(self.service.tokens.required):
            self.required = True
        if self.required:
            scheme, _, secret = Headers(scope=scope).get("authorization", "").partition(" ")
            caller = None
            if scheme.lower() == "bearer" and secret.strip():
                caller = await anyio.to_thread.run_sync(self.service.tokens.check, secret)
            if caller is None:
                reason = "a valid bearer token is required (Authorization: Bearer rk_...)"
                await unauthorized(reason)(scope, receive, send)
                return
            scope.setdefault("state", {})[STATE_KEY] = caller
        await self.app(scope, receive, send)


def caller_of(request: Any) -> TokenRecord | None:
    """The token an HTTP request came with (None on stdio or an open loopback server)."""
    scope = getattr(request, "scope", None) or {}
    found = scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, TokenRecord) else None


class TokenRights:
    """MCP server middleware: read-only tokens cannot call write tools; writes are authored."""

    def __init__(self, service: Rekall, read_tools: frozenset[str]) -> None:
        self.service = service
        self.read_tools = read_tools

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        caller = caller_of(ctx.request)
        if caller is None:
            return await call_next(ctx)
        tool = (ctx.params or {}).get("name") if ctx.method == "tools/call" else None
        if caller.read_only and tool is not None and tool not in self.read_tools:
            message = f"the token '{caller.name}' is read-only; {tool} needs a read-write token"
            return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)
        with self.service.acting_as(caller.name):
            return await call_next(ctx)

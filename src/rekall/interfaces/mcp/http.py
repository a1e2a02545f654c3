"""Streamable HTTP on a loopback address, refusing requests from pages that are not local."""

from __future__ import annotations

import errno
import os
import socket
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from rekall.core.errors import RekallError, UsageError
from rekall.interfaces.mcp.server import build_server, open_service, tell_stderr

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 8765
PATH = "/mcp"


def is_local_origin(origin: str) -> bool:
    """True for an http(s) Origin on a loopback host (any port), such as a local dev page.

    A browser sends Origin with every cross-site request; one from any other site must not
    reach a server that can read and delete the user's entries.
    """
    try:
        parts = urlsplit(origin.strip())
        port_ok = parts.port is None or parts.port > 0  # .port raises on a malformed port
    except ValueError:
        return False
    if not port_ok or parts.scheme not in ("http", "https") or parts.username or parts.password:
        return False
    return parts.hostname in LOOPBACK_HOSTS and parts.path in ("", "/")


class LocalOriginOnly:
    """ASGI middleware answering 403 to any request whose Origin header is not local."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            origin = Headers(scope=scope).get("origin")
            if origin is not None and not is_local_origin(origin):
                response = JSONResponse(
                    {
                        "jsonrpc": "2.0",
                        "id": None,
                        "error": {
                            "code": -32600,
                            "message": f"Origin {origin!r} is not local; Rekall only answers "
                            "clients on this machine",
                        },
                    },
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def transport_security() -> TransportSecuritySettings:
    """The SDK's own Host and Origin checks, set to the same loopback names."""
    hosts = ["127.0.0.1", "localhost", "[::1]"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{host}:*" for host in hosts],
        allowed_origins=[
            f"{scheme}://{host}{port}"
            for scheme in ("http", "https")
            for host in hosts
            for port in ("", ":*")
        ],
    )


def url(host: str, port: int) -> str:
    """Where clients connect."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{PATH}"


def serve_http(host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Serve streamable HTTP until interrupted. Raises RekallError on open (a taken port too),
    UsageError when a non-loopback address is asked for while the base has no active token."""
    import uvicorn

    from rekall.interfaces.mcp.access import TokenGate

    service = open_service()
    listener = None
    try:
        active = service.tokens.any_active()
        if host not in LOOPBACK_HOSTS and not active:
            raise UsageError(
                f"serving on {host} makes the base reachable from other machines, so it needs "
                "tokens: create one with 'rekall token create NAME' (clients send it as "
                "'Authorization: Bearer TOKEN'), or serve on 127.0.0.1"
            )
        # Beyond loopback the guard holds whatever happens to the tokens after the check.
        guarded = host not in LOOPBACK_HOSTS or service.tokens.required()
        listener = bind(host, port)
        server = build_server(service)
        # With tokens the bearer token is the guard, and Host names are whatever a reverse
        # proxy sends; without, only local pages and names may reach the server.
        security = (
            TransportSecuritySettings(enable_dns_rebinding_protection=False)
            if guarded
            else transport_security()
        )
        app = server.streamable_http_app(
            streamable_http_path=PATH, host=host, transport_security=security
        )
        gate = TokenGate(app if guarded else LocalOriginOnly(app), service, required=guarded)
        tell_stderr(f"Rekall MCP server on {url(host, port)} ({mode(guarded, active)})")
        uvicorn.Server(uvicorn.Config(gate, log_level="warning")).run(sockets=[listener])
    finally:
        service.close()
        if listener is not None:
            listener.close()


def mode(guarded: bool, active: bool) -> str:
    """What the startup line says about who may connect."""
    if not guarded:
        return "loopback only, no tokens yet; Ctrl+C to stop"
    if not active:
        return (
            "tokens required, none active: every request gets 401 until 'rekall token create "
            "NAME'; Ctrl+C to stop"
        )
    return "tokens required; Ctrl+C to stop"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, bound before anything says the server is up.

    Raises RekallError when the port is taken or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # as uvicorn does: restart at once after a stop
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise RekallError(
                f"port {port} on {host} is already in use (another server?); "
                "stop it or choose another port with --port"
            ) from exc
        raise RekallError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return listener

"""MCP over stdio without the SDK's weight: JSON-RPC lines, the handshake, the same tools.

The SDK's import brings its client, HTTP stack and two protocol revisions' types (~43 MB
resident) into a process that only reads lines from stdin; docs/decisions/005 has the figures.
Tool schemas are built the way the SDK builds them, and tests compare the two servers'
answers and drive this one with the SDK's own client.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from pydantic import BaseModel, ValidationError, create_model

from rekall import __version__
from rekall.core.errors import RekallError
from rekall.interfaces.mcp.prompts import PROMPTS, PromptSpec, argument_model
from rekall.interfaces.mcp.server import (
    DESCRIPTION,
    INSTRUCTIONS,
    TITLE,
    Hints,
    describe,
    error_text,
    open_service,
    tool_methods,
)
from rekall.service import Rekall

# Revisions negotiated through `initialize`; a client asking for another gets the newest.
PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
CAPABILITIES = {
    "prompts": {"listChanged": False},
    "resources": {"listChanged": False, "subscribe": False},
    "tools": {"listChanged": False},
}
EMPTY_LISTS = {
    "resources/list": "resources",
    "resources/templates/list": "resourceTemplates",
}
log = logging.getLogger(__name__)


class ProtocolError(Exception):
    """A request answered with a JSON-RPC error instead of a result."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


@dataclass(frozen=True)
class Tool:
    """One tool: its listing, its argument model, and the method it calls."""

    name: str
    method: Callable[..., BaseModel]
    arguments: type[BaseModel]
    listing: dict[str, Any]

    def call(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A tools/call result: structured output and its compact JSON text, or a tool error."""
        try:
            valid = self.arguments.model_validate(parse_json_strings(self.arguments, raw))
            output = self.method(
                **{name: getattr(valid, name) for name in self.arguments.model_fields}
            )
        except (ValidationError, RekallError) as exc:
            text = error_text(exc) if isinstance(exc, RekallError) else str(exc)
            return tool_error(f"Error executing tool {self.name}: {text}")
        except Exception:  # a bug: logged with its traceback, and the server keeps serving
            log.exception("tool %s failed", self.name)
            return tool_error(f"Error executing tool {self.name}")
        return {
            "content": [{"type": "text", "text": output.model_dump_json()}],
            "structuredContent": output.model_dump(mode="json"),
            "isError": False,
        }


def tool_error(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "isError": True}


def parse_json_strings(model: type[BaseModel], raw: dict[str, Any]) -> dict[str, Any]:
    """Arguments with lists and objects that a client sent as JSON text decoded, as the SDK does."""
    parsed = dict(raw)
    for name, value in raw.items():
        field = model.model_fields.get(name)
        if field is None or field.annotation is str or not isinstance(value, str):
            continue
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            continue
        if isinstance(decoded, list | dict):
            parsed[name] = decoded
    return parsed


def make_tool(name: str, method: Callable[..., BaseModel], hints: Hints) -> Tool:
    """A tool whose schemas are derived from the method's signature and return type."""
    signature = inspect.signature(method, eval_str=True)
    fields: dict[str, Any] = {
        param.name: (
            param.annotation
            if param.default is inspect.Parameter.empty
            else (param.annotation, param.default)
        )
        for param in signature.parameters.values()
    }
    arguments = create_model(f"{name}Arguments", **fields)
    output: type[BaseModel] = signature.return_annotation
    listing = {
        "name": name,
        "description": describe(method),
        "inputSchema": arguments.model_json_schema(),
        "outputSchema": output.model_json_schema(),
        "annotations": hints.wire(),
    }
    return Tool(name, method, arguments, listing)


class Session:
    """Answers one client's messages; each method returns the JSON-RPC result."""

    def __init__(self, tools: list[Tool]) -> None:
        self.tools = {tool.name: tool for tool in tools}

    def answer(self, message: Any) -> dict[str, Any] | None:
        """The response to one message, or None for notifications and client responses."""
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return error_response(None, INVALID_REQUEST, "Invalid request")
        if "method" not in message:
            return None  # a response to a request this server never sends
        if "id" not in message:
            return None  # notifications (initialized, cancelled) need no answer
        try:
            result = self.dispatch(message["method"], message.get("params") or {})
        except ProtocolError as exc:
            return error_response(message["id"], exc.code, str(exc), exc.data)
        return {"jsonrpc": "2.0", "id": message["id"], "result": result}

    def dispatch(self, method: Any, params: Any) -> dict[str, Any]:
        if not isinstance(params, dict):
            raise ProtocolError(INVALID_PARAMS, "params must be an object")
        if method == "initialize":
            return initialize_result(params.get("protocolVersion"))
        if method == "ping":
            return {}
        if method == "tools/list":
            return {"tools": [tool.listing for tool in self.tools.values()]}
        if method == "tools/call":
            return self.call_tool(params)
        if method == "prompts/list":
            return {"prompts": [prompt_listing(spec) for spec in PROMPTS]}
        if method == "prompts/get":
            return get_prompt(params)
        if method in EMPTY_LISTS:
            return {EMPTY_LISTS[method]: []}
        raise ProtocolError(METHOD_NOT_FOUND, "Method not found", method)

    def call_tool(self, params: dict[str, Any]) -> dict[str, Any]:
        name, arguments = params.get("name"), params.get("arguments") or {}
        if not isinstance(arguments, dict):
            raise ProtocolError(INVALID_PARAMS, "arguments must be an object")
        tool = self.tools.get(name) if isinstance(name, str) else None
        if tool is None:
            return tool_error(f"Unknown tool: {name}")
        return tool.call(arguments)


def prompt_listing(spec: PromptSpec) -> dict[str, Any]:
    """A prompt as prompts/list shows it, as the SDK lists it."""
    return {
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "arguments": spec.arguments(),
    }


def get_prompt(params: dict[str, Any]) -> dict[str, Any]:
    """A prompts/get result: the prompt's text as one user message."""
    spec = next((p for p in PROMPTS if p.name == params.get("name")), None)
    if spec is None:
        raise ProtocolError(INVALID_PARAMS, f"Unknown prompt: {params.get('name')}")
    arguments = params.get("arguments") or {}
    try:
        valid = argument_model(spec.render).model_validate(arguments)
    except ValidationError as exc:
        raise ProtocolError(INVALID_PARAMS, f"Invalid arguments for {spec.name}: {exc}") from exc
    text = spec.render(**valid.model_dump())
    return {
        "description": spec.description,
        "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
    }


def initialize_result(requested: Any) -> dict[str, Any]:
    """The handshake answer: the client's revision when known, else the newest one."""
    version = requested if requested in PROTOCOL_VERSIONS else PROTOCOL_VERSIONS[-1]
    return {
        "protocolVersion": version,
        "capabilities": CAPABILITIES,
        "serverInfo": {
            "name": "rekall",
            "title": TITLE,
            "version": __version__,
            "description": DESCRIPTION,
        },
        "instructions": INSTRUCTIONS,
    }


def error_response(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def build_session(service: Rekall) -> Session:
    """A session serving every tool of the SDK server, with the same schemas."""
    return Session([make_tool(*spec) for spec in tool_methods(service)])


def serve_lines(session: Session, wire_in: IO[bytes], wire_out: IO[bytes]) -> None:
    """Answer newline-delimited JSON-RPC messages until the client closes its end."""
    for line in wire_in:
        if not line.strip():
            continue
        response: dict[str, Any] | None
        try:
            message = json.loads(line)
        except ValueError:
            response = error_response(None, PARSE_ERROR, "Parse error")
        else:
            response = session.answer(message)
        if response is not None:
            wire_out.write(json.dumps(response, separators=(",", ":")).encode() + b"\n")
            wire_out.flush()


def claim_std_streams() -> tuple[IO[bytes], IO[bytes]]:
    """Private copies of stdin and stdout for the protocol; fd 1 then points at stderr.

    A stray print, a C library writing to fd 1 or a child process inheriting it would
    otherwise corrupt the protocol stream; fd 0 is given /dev/null for the same reason.
    """
    wire_in = os.fdopen(os.dup(0), "rb")
    wire_out = os.fdopen(os.dup(1), "wb")
    sys.stdout.flush()
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = sys.stderr
    return wire_in, wire_out


def serve_stdio() -> None:
    """Serve over stdin/stdout until the client closes stdin. Raises RekallError on open."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    wire_in, wire_out = claim_std_streams()
    service = open_service()
    try:
        serve_lines(build_session(service), wire_in, wire_out)
    except KeyboardInterrupt:
        pass
    finally:
        service.close()

"""ASGI middleware: counts every venue request and injects the configured faults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.faults import FaultRule
from simulator.state import SimState

__all__ = ["SimMiddleware"]

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sim"

_JSON_5XX = {
    500: b'{"code":-1000,"msg":"An unknown error occured while processing the request."}',
    503: b'{"code":-1001,"msg":"Internal error; unable to process your request. '
    b'Please try again."}',
}
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}


def _error_body(status: int) -> tuple[bytes, bytes]:
    """Binance's own 500/503 bodies are JSON; gateway errors come from the edge as HTML."""
    if status in _JSON_5XX:
        return _JSON_5XX[status], b"application/json"
    reason = _REASONS.get(status, "Error")
    html = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return html.encode(), b"text/html"


def _transport(send: Send) -> asyncio.BaseTransport | None:
    # uvicorn's send is a bound method of its per-request cycle, which holds the transport.
    # ASGI offers no way to drop a connection, so this reaches for it. Duck-typed: uvloop's
    # transports do not derive from asyncio's.
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    return cast(asyncio.BaseTransport, transport) if hasattr(transport, "close") else None


async def _close(send: Send) -> None:
    transport = _transport(send)
    if transport is None:
        raise RuntimeError("cannot drop the connection: server exposes no transport")
    transport.close()
    cycle = getattr(send, "__self__", None)
    # Let uvicorn notice the close, so it neither answers 500 nor logs an incomplete response.
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.001)


class SimMiddleware:
    def __init__(self, app: ASGIApp, state: SimState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        decision = self.state.faults.decide(path)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        action = decision.action
        fault = action.kind if action is not None else ("delay" if decision.delayed else None)

        # Outcomes are recorded just before the message that ends the exchange: a client that
        # reads /_sim/stats right after its response must find that response counted.
        def record(outcome: int | str) -> None:
            self.state.stats.record(path, outcome, fault)

        if action is None:
            await self._forward(scope, receive, send, record)
            return
        await self._inject(action, scope, receive, send, record)
        log.debug("fault %s on %s", action.kind, path)

    async def _forward(self, scope: Scope, receive: Receive, send: Send,
                       record: Callable[[int | str], None]) -> None:
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record(status)
            await send(message)

        await self.app(scope, receive, watch)

    async def _inject(
        self, rule: FaultRule, scope: Scope, receive: Receive, send: Send,
        record: Callable[[int | str], None],
    ) -> None:
        if rule.kind == "error":
            body, media = _error_body(rule.status)
            record(rule.status)
            await send(
                {
                    "type": "http.response.start",
                    "status": rule.status,
                    "headers": [
                        (b"content-type", media),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if rule.kind == "drop":
            record("dropped")
            await _close(send)
            return

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        cut = body[: len(body) // 2]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if rule.kind == "truncate":
            # Promise the whole body, deliver half, hang up.
            headers.append((b"content-length", str(len(body)).encode()))
            status = start["status"]
            record("truncated")
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": cut, "more_body": True})
            await _close(send)
            return
        # cut_json: a well-formed HTTP message carrying half a JSON document.
        headers.append((b"content-length", str(len(cut)).encode()))
        record(int(start["status"]))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": cut})

"""Small HTTP helpers shared by the venues."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

__all__ = ["client_ip", "json_response"]


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Compact JSON, keys in insertion order, as exchanges send it."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def client_ip(scope_client: tuple[str, int] | None) -> str:
    return scope_client[0] if scope_client else "unknown"

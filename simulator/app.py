"""One ASGI app for every venue: each venue contributes routes under its own paths."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from simulator import control
from simulator.binance_futures import routes as binance_futures
from simulator.middleware import CONTROL_PREFIX, SimMiddleware
from simulator.state import SimConfig, SimState

__all__ = ["build_app"]


def build_app(state: SimState | SimConfig | None = None) -> ASGIApp:
    """The simulator as an ASGI app (run it with uvicorn, or use ``simulator.serve``)."""
    if not isinstance(state, SimState):
        state = SimState(state or SimConfig())
    app = Starlette(
        routes=[
            Mount(CONTROL_PREFIX, routes=control.routes(state)),
            *binance_futures.routes(state),
        ]
    )
    app.state.sim = state
    return SimMiddleware(app, state)

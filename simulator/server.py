"""Running the simulator: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from simulator.app import build_app
from simulator.clock import to_ms
from simulator.control import stats_snapshot
from simulator.faults import FaultRule
from simulator.state import SimConfig, SimState

__all__ = ["Simulator", "run", "serve"]

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 10.0


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(state: SimState, *, access_log: bool) -> uvicorn.Config:
    return uvicorn.Config(
        build_app(state),
        log_config=None,  # leave the host application's logging alone
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )


class Simulator:
    """A simulator running on a loopback port in a background thread.

    Everything a test needs: ``base_url`` to point clients at, and direct handles on faults,
    the clock, run-time options and the request statistics (the same data the ``/_sim``
    control API serves over HTTP).
    """

    def __init__(self, config: SimConfig, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.state = SimState(config)
        self._sock = _bind(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self._server = uvicorn.Server(_uvicorn_config(self.state, access_log=False))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """E.g. ``http://127.0.0.1:54321``; the Binance USD-M REST base URL as well."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"simulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"simulator failed to start on {self.base_url}")
            time.sleep(0.005)
        log.debug("simulator listening on %s (seed %d)", self.base_url, self.config.seed)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT_S)
            self._thread = None
        self._sock.close()

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- control --------------------------------------------------------------------------

    def set_faults(self, rules: Iterable[FaultRule | Mapping[str, Any]]) -> None:
        """Replace the fault rules (and re-seed their RNG, so the pattern is reproducible)."""
        self.state.faults.set(rules)

    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> None:
        self.state.faults.add(rule)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def stats(self) -> dict[str, Any]:
        """Request counts per endpoint, statuses, 429/418 counts, faults, weight used."""
        return stats_snapshot(self.state)

    def reset(self) -> None:
        """Clear stats, weight windows, back-offs and bans."""
        self.state.reset()

    def now_ms(self) -> int:
        return self.state.clock.now_ms()

    def set_now(self, when: int | datetime | str | None, *, frozen: bool = True) -> None:
        """Freeze the clock at ``when`` (or let it tick from there); None: real time."""
        if when is None:
            self.state.clock.real()
        elif frozen:
            self.state.clock.freeze(to_ms(when))
        else:
            self.state.clock.run_from(to_ms(when))

    def advance(self, ms: int) -> None:
        """Move the clock by ``ms`` (frozen or ticking)."""
        self.state.clock.advance(ms)

    def set_options(self, **changes: Any) -> None:
        """Change run-time options, e.g. ``weight_limit=50`` or ``string_timestamps=True``."""
        self.state.set_options(**changes)

    def maintenance_windows(
        self, start_ms: int, end_ms: int, venue: str = "binance"
    ) -> list[tuple[int, int]]:
        """Maintenance windows ``[start, end)`` overlapping the range (no candles inside)."""
        return self.state.market.maintenance(venue, start_ms, end_ms)


@contextmanager
def serve(
    *, seed: int = 42, port: int = 0, host: str = "127.0.0.1", **options: Any
) -> Iterator[Simulator]:
    """Run a simulator for the duration of a ``with`` block.

    ``options`` are any other ``SimConfig`` fields (weight_limit, ban_seconds, now,
    maintenance, faults, string_timestamps, api_key, api_secret, ...)::

        with simulator.serve(seed=42, now="2024-05-01T12:00:00Z") as sim:
            httpx.get(f"{sim.base_url}/fapi/v1/klines", params={...})
    """
    if "faults" in options:
        options["faults"] = tuple(
            r if isinstance(r, FaultRule) else FaultRule.from_json(r) for r in options["faults"]
        )
    if options.get("maintenance") is not None:
        options["maintenance"] = tuple((int(s), int(e)) for s, e in options["maintenance"])
    sim = Simulator(SimConfig(seed=seed, **options), host=host, port=port)
    with sim:
        yield sim


def run(
    config: SimConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C / SIGTERM)."""
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(SimState(config), access_log=True))
    if on_ready is not None:
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{bound}")
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal against the
    # previous handlers; with these no-ops in place a stop request ends in a normal return.
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    in_main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _ignore_signal) for s in stop_signals} if in_main else {}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    log.debug("stop signal %d handled", signum)

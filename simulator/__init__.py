"""tickvault's local exchange simulator: real wire formats over real HTTP on loopback.

Tests and the demo run the pipeline against it instead of the exchanges. Today it speaks
Binance USD-M futures REST (``/fapi``, ``/futures/data``) and serves data.binance.vision-style
kline archives (``/data/futures/um/...``), from deterministic synthetic markets derived from a
seed, with Binance's weight limits and configurable faults. ``/_sim`` is its control API.

In tests::

    import simulator

    with simulator.serve(seed=42, now="2024-05-01T12:00:00Z", weight_limit=100) as sim:
        client = httpx.Client(base_url=sim.base_url)
        client.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1m"})
        sim.set_faults([simulator.FaultRule("error", path="/fapi/v1/klines", count=3)])
        assert sim.stats()["responses_429"] == 0

From a shell: ``tickvault sim`` (see ``--help``).
"""

from simulator.app import build_app
from simulator.binance_futures.signing import DOCS_API_KEY, DOCS_API_SECRET
from simulator.faults import FaultKind, FaultRule
from simulator.server import Simulator, run, serve
from simulator.state import SimConfig

__all__ = [
    "DOCS_API_KEY",
    "DOCS_API_SECRET",
    "FaultKind",
    "FaultRule",
    "SimConfig",
    "Simulator",
    "build_app",
    "run",
    "serve",
]

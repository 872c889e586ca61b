"""``tickvault sim`` as a user runs it: a subprocess serving until terminated."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_tickvault_sim_serves_until_terminated(tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).with_name("tickvault")
    log = (tmp_path / "out.txt").open("w+")
    proc = subprocess.Popen(
        [str(exe), "sim", "--port", str(port), "--seed", "7", "--now", "2024-05-01T00:00:00Z",
         "--weight-limit", "100"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, Path(log.name).read_text()
            try:
                r = httpx.get(f"{base}/fapi/v1/time", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "simulator did not come up"
                time.sleep(0.1)
        assert r.json() == {"serverTime": 1714521600000}
        info = httpx.get(f"{base}/fapi/v1/exchangeInfo").json()
        assert info["rateLimits"][0]["limit"] == 100
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    output = Path(log.name).read_text()
    assert code == 0, output
    assert f"listening on {base}" in output
    assert f"export TICKVAULT_BINANCE_FAPI_URL={base}" in output

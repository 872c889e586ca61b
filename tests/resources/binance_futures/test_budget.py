import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from resources.binance_futures.budget import (
    WEIGHT,
    BannedError,
    Bucket,
    WeightBudget,
    default_buckets,
    state_path_for,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def budget(path: Path, clock: FakeClock, limit: int = 100) -> WeightBudget:
    return WeightBudget(path, (Bucket(WEIGHT, limit, 60.0), Bucket("funding_rate", 3, 300.0)),
                        in_flight_s=30.0, clock=clock, sleep=clock.sleep)


def test_two_budget_objects_on_one_file_share_the_weight(tmp_path: Path) -> None:
    clock = FakeClock()
    one, two = budget(tmp_path / "b.json", clock), budget(tmp_path / "b.json", clock)
    for b in (one, two, one):
        b.settle(b.acquire({WEIGHT: 30}))
    assert two.status().used[WEIGHT] == 90
    # the next 30 do not fit until the first reservation is 60 s old
    clock.now += 10
    reservation = two.acquire({WEIGHT: 30})
    assert reservation.waited_s == pytest.approx(50.0, abs=0.1)
    assert sum(clock.slept) == pytest.approx(50.0, abs=0.1)


def test_in_flight_requests_count_until_their_deadline(tmp_path: Path) -> None:
    clock = FakeClock()
    b = budget(tmp_path / "b.json", clock)
    b.acquire({WEIGHT: 100})  # never settled: the process died mid-request
    clock.now += 60
    assert b.status().used[WEIGHT] == 100  # the server may still count it
    clock.now += 31
    assert b.status().used[WEIGHT] == 0


def test_a_settled_request_counts_from_its_answer(tmp_path: Path) -> None:
    clock = FakeClock()
    b = budget(tmp_path / "b.json", clock)
    reservation = b.acquire({WEIGHT: 50})
    clock.now += 20  # a slow answer
    b.settle(reservation)
    clock.now += 50
    assert b.status().used[WEIGHT] == 50
    clock.now += 11
    assert b.status().used[WEIGHT] == 0


def test_the_server_header_corrects_upwards_only(tmp_path: Path) -> None:
    clock = FakeClock()
    b = budget(tmp_path / "b.json", clock)
    b.settle(b.acquire({WEIGHT: 5}), used_weight=70)  # someone else on this IP used 65
    assert b.status().used[WEIGHT] == 70
    b.settle(b.acquire({WEIGHT: 5}), used_weight=3)  # a new server minute: keep ours
    assert b.status().used[WEIGHT] == 75


def test_request_count_buckets(tmp_path: Path) -> None:
    clock = FakeClock()
    b = budget(tmp_path / "b.json", clock)
    for _ in range(3):
        b.settle(b.acquire({WEIGHT: 1, "funding_rate": 1}))
    started = clock.now
    b.acquire({WEIGHT: 1, "funding_rate": 1})
    assert clock.now - started == pytest.approx(300.0, abs=0.1)


def test_a_pause_after_429_holds_every_process(tmp_path: Path) -> None:
    clock = FakeClock()
    one, two = budget(tmp_path / "b.json", clock), budget(tmp_path / "b.json", clock)
    one.pause(7.0)
    started = clock.now
    two.acquire({WEIGHT: 1})
    assert clock.now - started == pytest.approx(7.0, abs=0.1)


def test_a_ban_refuses_everything_until_it_ends(tmp_path: Path) -> None:
    clock = FakeClock()
    one, two = budget(tmp_path / "b.json", clock), budget(tmp_path / "b.json", clock)
    one.ban(clock.now + 120, "GET /fapi/v1/klines")
    with pytest.raises(BannedError, match=r"banned this IP until .* all Binance work"):
        two.acquire({WEIGHT: 1})
    clock.now += 121
    two.acquire({WEIGHT: 1})


def test_a_torn_state_file_is_read_as_a_spent_window(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "b.json"
    path.write_text('{"events": [["a", 1000000.0, "wei')
    b = budget(path, clock)
    assert b.status().used[WEIGHT] == 100
    json.loads(path.read_text())  # rewritten whole


def test_a_request_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    b = budget(tmp_path / "b.json", FakeClock(), limit=10)
    with pytest.raises(ValueError, match="can never fit"):
        b.acquire({WEIGHT: 11})


def test_one_state_file_per_server(tmp_path: Path) -> None:
    a = state_path_for("https://fapi.binance.com", tmp_path)
    assert a == state_path_for("https://fapi.binance.com/", tmp_path)
    assert a != state_path_for("https://testnet.binancefuture.com", tmp_path)
    assert state_path_for("http://127.0.0.1:1", tmp_path) != state_path_for(
        "http://127.0.0.1:2", tmp_path)


_HAMMER = """
import sys, time
from pathlib import Path
from resources.binance_futures.budget import WEIGHT, WeightBudget, default_buckets
b = WeightBudget(Path(sys.argv[1]), default_buckets(40, 0.5))
with open(sys.argv[3], "a") as out:
    for _ in range(int(sys.argv[2])):
        reservation = b.acquire({WEIGHT: 4})
        out.write(f"{time.time()}\\n")  # the request "arrives" now, before it is settled
        out.flush()
        b.settle(reservation)
"""


def test_processes_and_threads_never_exceed_the_limit_together(tmp_path: Path) -> None:
    """Real clock, real flock: 2 processes and 2 threads take 4 x 15 x 4 = 240 weight through
    a budget of 40 per 0.5 s. A request arrives between its reservation and its settling; no
    0.5 s interval of arrivals (a server's window) may hold more than 10."""
    state, log = tmp_path / "b.json", tmp_path / "log.txt"
    script = tmp_path / "hammer.py"
    script.write_text(_HAMMER)
    args = [str(state), "15", str(log)]
    procs = [subprocess.Popen([sys.executable, str(script), *args]) for _ in range(2)]

    def in_thread() -> None:
        b = WeightBudget(state, default_buckets(40, 0.5))
        with open(log, "a") as out:
            for _ in range(15):
                reservation = b.acquire({WEIGHT: 4})
                out.write(f"{time.time()}\n")
                out.flush()
                b.settle(reservation)

    threads = [threading.Thread(target=in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    times = sorted(float(line) for line in log.read_text().split())
    assert len(times) == 60
    worst = max(sum(1 for t in times if start <= t < start + 0.5) for start in times)
    assert worst <= 10

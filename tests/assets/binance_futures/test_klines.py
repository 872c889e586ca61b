"""The klines asset against the simulator over real HTTP, into a real database."""

import threading
import time

import httpx
from dagster import DagsterInstance, materialize

import simulator
from assets.binance_futures import KLINE_SERIES, binance_futures_klines, kline_partition_key

SERIES = "BTCUSDT-1m"


def test_backfill_stores_every_closed_candle_once(kit) -> None:  # type: ignore[no-untyped-def]
    binance = kit.binance(pairs=["BTCUSDT/1m"], start="2024-04-20")
    resources = {"binance_futures": binance, "database": kit.database}
    result = kit.run_klines(resources, [SERIES], "2024-04-01", "2024-05-01")
    assert result.success, kit.failure(result)

    expected = kit.expected_candles("2024-04-20T00:00:00Z", "2024-05-01T12:00:00Z")
    count, first, last = kit.query("SELECT count(*), min(ts), max(ts) FROM candles")[0]
    assert count == expected
    assert first == kit.utc("2024-04-20T00:00:00Z")
    assert last == kit.utc("2024-05-01T11:59:00Z")  # 12:00 is still open at 12:00:30

    april = kit.metadata(result, "2024-04-01|BTCUSDT-1m")
    may = kit.metadata(result, "2024-05-01|BTCUSDT-1m")
    assert april["rows_inserted"] + may["rows_inserted"] == expected  # type: ignore[operator]
    assert april["weight"] == 5 * april["requests"]  # type: ignore[operator]

    # exactly what the exchange printed, extra Binance fields included
    page = httpx.get(f"{kit.sim.base_url}/fapi/v1/klines", params={
        "symbol": "BTCUSDT", "interval": "1m", "startTime": 1714305600000, "limit": 50}).json()
    stored = kit.query("""
        SELECT (extract(epoch FROM ts) * 1000)::bigint, open::text, high::text, low::text,
               close::text, volume::text, quote_volume::text, trade_count,
               taker_buy_base_volume::text, taker_buy_quote_volume::text
        FROM candles WHERE ts >= to_timestamp(1714305600) ORDER BY ts LIMIT 50""")
    assert [list(r) for r in stored] == [
        [k[0], k[1], k[2], k[3], k[4], k[5], k[7], k[8], k[9], k[10]] for k in page]
    assert kit.sim.stats()["responses_429"] == 0

    # nothing new: April is complete; in May no candle after the stored ones can have closed
    before = kit.sim.stats()["requests"]["/fapi/v1/klines"]
    again = kit.run_klines(resources, [SERIES], "2024-04-01", "2024-05-01")
    assert again.success
    assert kit.metadata(again, "2024-04-01|BTCUSDT-1m")["requests"] == 0
    assert kit.metadata(again, "2024-04-01|BTCUSDT-1m")["status"] == "complete"
    assert kit.sim.stats()["requests"]["/fapi/v1/klines"] == before
    assert kit.query("SELECT count(*) FROM candles")[0][0] == expected

    # three minutes later: exactly the three candles that closed meanwhile
    kit.sim.advance(180_000)
    later = kit.run_klines(resources, [SERIES], "2024-05-01", "2024-05-01")
    assert later.success
    assert kit.metadata(later, "2024-05-01|BTCUSDT-1m")["rows_inserted"] == 3
    assert kit.query("SELECT max(ts) FROM candles")[0][0] == kit.utc("2024-05-01T12:02:00Z")
    cursor = kit.query("SELECT covered_from, covered_until FROM binance_kline_cursors "
                       "WHERE window_start = '2024-05-01'")
    assert cursor == [(kit.utc("2024-05-01T00:00:00Z"), kit.utc("2024-05-01T12:03:00Z"))]


def test_faults_are_retried_and_nothing_is_lost(kit) -> None:  # type: ignore[no-untyped-def]
    path = "/fapi/v1/klines"
    kit.sim.set_faults([
        simulator.FaultRule("error", path=path, count=3, status=503),
        simulator.FaultRule("error", path=path, count=1, status=502),
        simulator.FaultRule("drop", path=path, count=2),
        simulator.FaultRule("truncate", path=path, count=2),
        simulator.FaultRule("cut_json", path=path, count=2),
        simulator.FaultRule("delay", path=path, count=1, delay=1.0),
        simulator.FaultRule("error", path="/fapi/v1/time", count=1, status=504),
    ])
    binance = kit.binance(pairs=["BTCUSDT/1m"], start="2024-04-25", timeout_s=0.5,
                              max_retries=12)
    result = kit.run_klines({"binance_futures": binance, "database": kit.database},
                        [SERIES], "2024-04-01", "2024-04-01")
    assert result.success, kit.failure(result)
    expected = kit.expected_candles("2024-04-25T00:00:00Z", "2024-05-01T00:00:00Z")
    assert kit.query("SELECT count(*) FROM candles")[0][0] == expected
    # 10 broken answers and a timeout on klines (the /time failure happened before the page)
    assert kit.metadata(result, "2024-04-01|BTCUSDT-1m")["retries"] == 11
    stats = kit.sim.stats()
    assert {k: v for k, v in stats["faults"].items() if k != "delay"} == {
        "error": 5, "drop": 2, "truncate": 2, "cut_json": 2}
    assert stats["responses_429"] == 0 and stats["responses_418"] == 0


def test_a_bad_symbol_fails_alone_and_clearly(kit) -> None:  # type: ignore[no-untyped-def]
    binance = kit.binance(pairs=["BTCUSDT/1h", "NOPEUSDT/1h"], start="2024-04-01")
    result = kit.run_klines({"binance_futures": binance, "database": kit.database},
                        ["BTCUSDT-1h", "NOPEUSDT-1h"], "2024-04-01", "2024-04-01")
    assert not result.success
    text = kit.failure(result)
    assert ("NOPEUSDT-1h 2024-04: BinanceApiError: Binance refused GET /fapi/v1/klines for "
            "NOPEUSDT: HTTP 400 -1121 Invalid symbol.") in text
    assert "1 of 2 partitions failed" in text
    assert kit.sim.stats()["statuses_by_endpoint"]["/fapi/v1/klines"].get("400") == 1  # no retry
    # the good series is stored and shows as materialized; nothing exists for the bad one
    assert kit.materialized(binance_futures_klines.key) == ["2024-04-01|BTCUSDT-1h"]
    assert kit.query("SELECT count(*) FROM candles")[0][0] > 700
    assert kit.query("SELECT venue_symbol FROM instruments") == [("BTCUSDT",)]


def test_repair_refetches_a_damaged_window(kit) -> None:  # type: ignore[no-untyped-def]
    binance = kit.binance(pairs=["ETHUSDT/5m"], start="2024-04-01")
    resources = {"binance_futures": binance, "database": kit.database}
    assert kit.run_klines(resources, ["ETHUSDT-5m"], "2024-04-01", "2024-04-01").success
    full = kit.query("SELECT count(*) FROM candles")[0][0]
    kit.query("DELETE FROM candles WHERE ts >= '2024-04-10' AND ts < '2024-04-12' "
                    "RETURNING 1")
    assert kit.run_klines(resources, ["ETHUSDT-5m"], "2024-04-01", "2024-04-01").success
    assert kit.query("SELECT count(*) FROM candles")[0][0] == full - 576  # pointer: done
    repaired = kit.run_klines(resources, ["ETHUSDT-5m"], "2024-04-01", "2024-04-01",
                          start="2024-04-09", end="2024-04-13", repair=True)
    assert repaired.success
    assert kit.query("SELECT count(*) FROM candles")[0][0] == full
    assert kit.metadata(repaired, "2024-04-01|ETHUSDT-5m")["rows_inserted"] == 576

    # a stored candle that differs from the exchange's is an error, never overwritten
    kit.query("UPDATE candles SET close = close + 1 WHERE ts = '2024-04-10 00:00+00' "
                    "RETURNING 1")
    conflict = kit.run_klines(resources, ["ETHUSDT-5m"], "2024-04-01", "2024-04-01",
                          start="2024-04-09", end="2024-04-13", repair=True)
    assert not conflict.success
    assert "candles already holds" in kit.failure(conflict)


def _when(sim: simulator.Simulator, condition, then) -> threading.Thread:  # type: ignore[no-untyped-def]
    """Call ``then`` once ``condition(sim.stats())`` holds (watching from a thread)."""
    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if condition(sim.stats()):
                then()
                return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_429_from_another_program_pauses_then_continues(kit) -> None:  # type: ignore[no-untyped-def]
    kit.sim.set_options(weight_limit=50)
    kit.sim.set_now("2024-05-01T12:05:58Z")  # frozen: the 429's Retry-After is 2 s
    for _ in range(9):  # someone else on this IP: 45 weight our budget knows nothing of
        httpx.get(f"{kit.sim.base_url}/fapi/v1/klines", params={
            "symbol": "XRPUSDT", "interval": "1m", "limit": 1000})
    # while tickvault waits out the Retry-After, the minute passes
    watcher = _when(kit.sim, lambda stats: stats["responses_429"] >= 1,
                    lambda: kit.sim.advance(2_500))
    binance = kit.binance(pairs=["BTCUSDT/1h"], start="2024-04-01")
    result = kit.run_klines({"binance_futures": binance, "database": kit.database},
                        ["BTCUSDT-1h"], "2024-04-01", "2024-04-01")
    watcher.join()
    assert result.success, kit.failure(result)
    stats = kit.sim.stats()
    assert stats["responses_429"] == 1 and stats["responses_418"] == 0
    assert kit.metadata(result, "2024-04-01|BTCUSDT-1h")["http_429"] == 1
    assert kit.query("SELECT count(*) FROM candles")[0][0] == kit.expected_candles(
        "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z", 3_600_000)


def test_418_stops_all_binance_work_until_the_ban_ends(kit) -> None:  # type: ignore[no-untyped-def]
    kit.sim.set_options(weight_limit=10, ban_seconds=3)
    kit.sim.set_now("2024-05-01T12:05:57Z")
    for _ in range(4):  # a misbehaving program: a 429, then calls on during the back-off
        httpx.get(f"{kit.sim.base_url}/fapi/v1/klines", params={
            "symbol": "XRPUSDT", "interval": "1m", "limit": 1000})
    assert kit.sim.stats()["responses_418"] == 1
    binance = kit.binance(pairs=["BTCUSDT/1h"], start="2024-04-01")
    resources = {"binance_futures": binance, "database": kit.database}
    result = kit.run_klines(resources, ["BTCUSDT-1h"], "2024-04-01", "2024-04-01")
    assert not result.success
    assert "Binance has banned this IP until" in kit.failure(result)
    assert "all Binance work on this machine is stopped until then" in kit.failure(result)

    # another process, another resource object: refused without a request
    sent = kit.sim.stats()["requests_total"]
    other = kit.binance(pairs=["ETHUSDT/1h"], start="2024-04-01")
    refused = kit.run_klines({"binance_futures": other, "database": kit.database},
                         ["ETHUSDT-1h"], "2024-04-01", "2024-04-01")
    assert not refused.success and "banned" in kit.failure(refused)
    assert kit.sim.stats()["requests_total"] == sent

    banned_until = other.budget().status().banned_until
    time.sleep(max(0.0, banned_until - time.time()) + 0.1)
    kit.sim.advance(4_000)  # the simulator's frozen clock passes the ban and the minute too
    after = kit.run_klines(resources, ["BTCUSDT-1h"], "2024-04-01", "2024-04-01")
    assert after.success, kit.failure(after)
    assert kit.sim.stats()["responses_418"] == 2  # the other program's and ours, none after


def test_two_runs_share_one_budget_in_process(kit) -> None:  # type: ignore[no-untyped-def]
    """Two concurrent runs with separate resource objects, 40 weight per 2.5 s between them,
    need 3x that: the server (windows of 2 s here) never sees more than its limit."""
    kit.sim.set_options(weight_limit=40)
    stop = threading.Event()

    def minutes_pass() -> None:  # the simulator's weight minute passes every 2 s
        while not stop.wait(2.0):
            kit.sim.advance(60_000)

    ticker = threading.Thread(target=minutes_pass, daemon=True)
    ticker.start()
    results = {}

    def run(series: str) -> None:
        binance = kit.binance(pairs=[series.replace("-", "/")], start="2024-04-22",
                              page_limit=400, weight_limit=40, weight_window_s=2.5)
        # each run its own Dagster instance (like two deployments): only the budget is shared
        with DagsterInstance.ephemeral() as instance:
            instance.add_dynamic_partitions(KLINE_SERIES.name or "", [series])
            results[series] = materialize(
                [binance_futures_klines], instance=instance,
                resources={"binance_futures": binance, "database": kit.database},
                partition_key=str(kline_partition_key(series, "2024-04-01")),
                raise_on_error=False)

    try:
        threads = [threading.Thread(target=run, args=(s,)) for s in ("BTCUSDT-1m", "SOLUSDT-1m")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
        ticker.join()
    for series, result in results.items():
        assert result.success, (series, kit.failure(result))
    stats = kit.sim.stats()
    assert stats["responses_429"] == 0 and stats["responses_418"] == 0
    assert stats["requests"]["/fapi/v1/klines"] >= 2 * 33  # 13,000 candles each, 400 a page

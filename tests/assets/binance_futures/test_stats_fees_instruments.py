"""Funding, open interest, the three long/short ratios, fees and instruments, against the
simulator over real HTTP, into a real database."""

import os

import httpx
import pytest

import simulator
from assets.binance_futures import (
    STATS_ASSETS,
    binance_futures_fees,
    binance_futures_instruments,
)

RATIO_TABLES = ("binance_top_long_short_account_ratio", "binance_top_long_short_position_ratio",
                "binance_global_long_short_account_ratio")
FIVE_MIN = 300_000


def expected_points(now_ms: int, start_ms: int, period_ms: int = FIVE_MIN) -> int:
    return now_ms // period_ms - (-(-start_ms // period_ms)) + 1


@pytest.mark.parametrize("string_timestamps", [False, True])
def test_statistics_resume_and_stay_exact(kit, string_timestamps: bool) -> None:  # type: ignore[no-untyped-def]
    kit.sim.set_options(string_timestamps=string_timestamps)
    resources = kit.resources(pairs=["BTCUSDT/1h", "ETHUSDT/4h", "BTCUSDT_240628/1d"])
    result = kit.materialize(STATS_ASSETS, resources)
    assert result.success, kit.failure(result)

    now = kit.sim.now_ms()
    first_kept = now - 30 * 86_400_000 + 5 * 60_000  # a margin inside Binance's 30 days
    per_symbol = expected_points(now, first_kept)
    for table in ("binance_open_interest", *RATIO_TABLES):
        counts = dict(kit.query(f"SELECT i.venue_symbol, count(*) FROM {table} t JOIN "  # noqa: S608
                                "instruments i ON i.id = t.instrument_id GROUP BY 1"))
        assert counts == {"BTCUSDT": per_symbol, "ETHUSDT": per_symbol,
                          "BTCUSDT_240628": per_symbol}, table
    assert kit.query("SELECT DISTINCT period_s FROM binance_open_interest") == [(300,)]

    # funding: every 8 hours since listing, none for the delivery contract; no mark price
    # before 2022 (the live API's empty string)
    funding = dict(kit.query("SELECT i.venue_symbol, count(*) FROM binance_funding_rates f JOIN "
                             "instruments i ON i.id = f.instrument_id GROUP BY 1"))
    listed = 1569398400000
    settlements = now // 28_800_000 - listed // 28_800_000 + 1  # listed at 08:00, a settlement
    assert funding == {"BTCUSDT": settlements, "ETHUSDT": settlements}
    assert kit.query("SELECT bool_and(mark_price IS NULL) FROM binance_funding_rates "
                     "WHERE ts < '2022-01-01'") == [(True,)]
    assert kit.query("SELECT bool_and(mark_price IS NOT NULL) FROM binance_funding_rates "
                     "WHERE ts >= '2022-01-01'") == [(True,)]

    # exactly as printed, by timestamp
    point = httpx.get(f"{kit.sim.base_url}/futures/data/topLongShortPositionRatio", params={
        "symbol": "ETHUSDT", "period": "5m", "limit": 1}).json()[0]
    stored = kit.query(
        "SELECT long_short_ratio::text, long_account::text, short_account::text FROM "
        "binance_top_long_short_position_ratio t JOIN instruments i ON i.id = t.instrument_id "
        "WHERE i.venue_symbol = 'ETHUSDT' AND t.ts = to_timestamp(%s / 1000.0)",
        int(point["timestamp"]))
    assert stored == [(point["longShortRatio"], point["longAccount"], point["shortAccount"])]

    # an hour later: twelve new points per dataset and symbol, nothing fetched twice
    before = kit.count("binance_open_interest")
    kit.sim.advance(3_600_000)
    again = kit.materialize(STATS_ASSETS, resources)
    assert again.success, kit.failure(again)
    assert kit.count("binance_open_interest") - before == 3 * 12
    by_asset = {e.asset_key.path[-1]: {k: v.value for k, v in e.materialization.metadata.items()}
                for e in again.get_asset_materialization_events()}
    assert by_asset["open_interest"]["rows_fetched"] == by_asset["open_interest"][
        "rows_inserted"] == 36
    assert by_asset["funding_rates"]["rows_inserted"] == 0
    assert kit.sim.stats()["responses_429"] == 0


def test_a_refused_stats_symbol_fails_clearly_and_alone(kit) -> None:  # type: ignore[no-untyped-def]
    resources = kit.resources(pairs=["BTCUSDT/1h"], stats_symbols=["NOPEUSDT", "SOLUSDT"])
    result = kit.materialize(STATS_ASSETS[1], resources)  # open interest
    assert not result.success
    assert ("NOPEUSDT: BinanceApiError: Binance refused GET /futures/data/openInterestHist for "
            "NOPEUSDT: HTTP 400 -1121 Invalid symbol.") in kit.failure(result)
    assert kit.query("SELECT DISTINCT i.venue_symbol FROM binance_open_interest t JOIN "
                     "instruments i ON i.id = t.instrument_id") == [("SOLUSDT",)]


def test_fees_are_skipped_without_a_key(kit, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TICKVAULT_BINANCE_API_KEY", raising=False)
    monkeypatch.delenv("TICKVAULT_BINANCE_API_SECRET", raising=False)
    result = kit.materialize(binance_futures_fees, kit.resources(pairs=["BTCUSDT/1h"]),
                             partition_key="2024-05-01")
    assert result.success
    assert result.get_asset_materialization_events() == []
    assert ("Binance fee snapshot skipped: no API key configured (set TICKVAULT_BINANCE_API_KEY "
            "and TICKVAULT_BINANCE_API_SECRET") in kit.logs(result)
    assert kit.sim.stats()["requests_total"] == 0
    assert kit.count("exchange_fees") == 0


def test_fee_snapshots_with_a_key(kit, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TICKVAULT_BINANCE_API_KEY", simulator.DOCS_API_KEY)
    monkeypatch.setenv("TICKVAULT_BINANCE_API_SECRET", simulator.DOCS_API_SECRET)
    resources = kit.resources(pairs=["BTCUSDT/1h", "ETHUSDT/1h"])
    for _ in range(2):  # a second snapshot of the same day changes nothing
        result = kit.materialize(binance_futures_fees, resources, partition_key="2024-05-01")
        assert result.success, kit.failure(result)
    assert kit.metadata(result)["snapshots_unchanged"] == 2
    assert kit.query("SELECT symbol, ts, maker_bps::text, taker_bps::text, source, note FROM "
                     "exchange_fees ORDER BY symbol") == [
        ("BTCUSDT", kit.utc("2024-05-01T00:00:00Z"), "2", "5",
         "binance-futures:/fapi/v1/commissionRate",
         "makerCommissionRate 0.0002, takerCommissionRate 0.0005"),
        ("ETHUSDT", kit.utc("2024-05-01T00:00:00Z"), "2", "5",
         "binance-futures:/fapi/v1/commissionRate",
         "makerCommissionRate 0.0002, takerCommissionRate 0.0005"),
    ]
    logs = kit.logs(result)
    assert simulator.DOCS_API_SECRET not in logs and simulator.DOCS_API_KEY not in logs
    assert os.environ["TICKVAULT_BINANCE_API_SECRET"] not in repr(resources)

    old = kit.materialize(binance_futures_fees, resources, partition_key="2024-04-01")
    assert not old.success
    assert "fees can only be snapshotted as of now" in kit.failure(old)


def test_a_wrong_key_is_a_clear_error(kit, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TICKVAULT_BINANCE_API_KEY", "x" * 64)
    monkeypatch.setenv("TICKVAULT_BINANCE_API_SECRET", "y" * 64)
    result = kit.materialize(binance_futures_fees, kit.resources(pairs=["BTCUSDT/1h"]),
                             partition_key="2024-05-01")
    assert not result.success
    assert "GET /fapi/v1/commissionRate for BTCUSDT: HTTP 401 -2015" in kit.failure(result)
    assert "y" * 64 not in kit.failure(result)


def test_instruments_from_exchange_info(kit) -> None:  # type: ignore[no-untyped-def]
    result = kit.materialize(binance_futures_instruments, kit.resources())
    assert result.success, kit.failure(result)
    rows = kit.query("SELECT venue, venue_symbol, base, quote, kind, "
                     "attributes->>'contractType', attributes->>'status', "
                     "(attributes->>'onboard_date_ms')::bigint FROM instruments ORDER BY 2")
    assert [r[1] for r in rows] == ["BNBUSDT", "BTCUSDT", "BTCUSDT_240628", "ETHUSDT",
                                    "SOLUSDT", "XRPUSDT"]
    btc = next(r for r in rows if r[1] == "BTCUSDT")
    assert btc == ("binance-futures", "BTCUSDT", "BTC", "USDT", "perpetual", "PERPETUAL",
                   "TRADING", 1569398400000)
    quarterly = next(r for r in rows if r[1] == "BTCUSDT_240628")
    assert quarterly[4:6] == ("future", "CURRENT_QUARTER")
    assert kit.metadata(result)["instruments"] == 6
    again = kit.materialize(binance_futures_instruments, kit.resources())
    assert again.success and kit.metadata(again)["new"] == 0

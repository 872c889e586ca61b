from __future__ import annotations

from datetime import UTC, datetime

from simulator.binance_futures.instruments import current_quarter_delivery, instruments


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_current_quarter_is_the_next_last_friday_of_a_quarter_month() -> None:
    assert current_quarter_delivery(_ms("2021-07-22T00:00:00")) == _ms("2021-09-24T08:00:00")
    assert current_quarter_delivery(_ms("2024-06-28T07:59:59")) == _ms("2024-06-28T08:00:00")
    assert current_quarter_delivery(_ms("2024-06-28T08:00:00")) == _ms("2024-09-27T08:00:00")
    assert current_quarter_delivery(_ms("2024-12-31T00:00:00")) == _ms("2025-03-28T08:00:00")


def test_the_quarterly_symbol_rolls_with_the_clock() -> None:
    before = instruments(_ms("2024-06-28T07:00:00"))
    after = instruments(_ms("2024-06-28T09:00:00"))
    assert "BTCUSDT_240628" in before and "BTCUSDT_240628" not in after
    assert "BTCUSDT_240927" in after
    assert {"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"} <= set(after)

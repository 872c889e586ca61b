"""Kraken historical dumps: assets, jobs, sensor and resources."""

from __future__ import annotations

from dagster import define_asset_job

from assets.kraken_dumps import kraken_ohlcvt, kraken_trades
from orchestration.component import Component
from orchestration.resources import SHARED
from sensors.kraken_dumps import kraken_ohlcvt_sensor, kraken_trades_sensor

kraken_ohlcvt_job = define_asset_job(
    "kraken_ohlcvt_job", selection=[kraken_ohlcvt],
    description="Import Kraken OHLCVT dump files (one run per partition range).")
kraken_trades_job = define_asset_job(
    "kraken_trades_job", selection=[kraken_trades],
    description="Import Kraken trade-history dump files (one run per partition range).")

COMPONENT = Component(
    assets=[kraken_ohlcvt, kraken_trades],
    jobs=[kraken_ohlcvt_job, kraken_trades_job],
    sensors=[kraken_ohlcvt_sensor, kraken_trades_sensor],
    resources=SHARED,
)

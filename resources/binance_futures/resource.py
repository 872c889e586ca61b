"""Dagster resources for Binance: the USD-M futures REST API and the public-data archives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from resources import settings
from resources.binance_futures import archives
from resources.binance_futures.budget import WeightBudget, default_buckets, state_path_for
from resources.binance_futures.client import BinanceFuturesClient, _Log
from resources.binance_futures.config import (
    STATS_PERIODS,
    BinanceConfig,
    ConfigError,
    load_config,
    parse_pair,
    parse_time,
)

__all__ = ["API_KEY_ENV", "API_SECRET_ENV", "BinanceFuturesResource", "BinancePublicDataResource"]

API_KEY_ENV = "TICKVAULT_BINANCE_API_KEY"
API_SECRET_ENV = "TICKVAULT_BINANCE_API_SECRET"


class BinanceFuturesResource(ConfigurableResource):  # type: ignore[type-arg]
    """Binance USD-M futures REST (``https://fapi.binance.com``, the testnet, or the simulator).

    Unset fields come from the environment (``TICKVAULT_BINANCE_FAPI_URL``, ...), then from the
    YAML file ``$TICKVAULT_CONFIG``, then from defaults (:mod:`resources.binance_futures.config`).
    The API key and secret are read from the environment variables named by ``api_key_env`` and
    ``api_secret_env`` only when a signed endpoint is called, so they never appear in run config.
    """

    base_url: str | None = Field(default=None, description="REST base URL (default: "
                                 "$TICKVAULT_BINANCE_FAPI_URL, the config file, fapi.binance.com)")
    config_path: str | None = Field(default=None, description="YAML file; unset: "
                                    "$TICKVAULT_CONFIG")
    pairs: list[str] | None = Field(default=None, description="kline series like BTCUSDT/1m; "
                                    "unset: from the config file")
    start: str | None = Field(default=None, description="backfill start (ISO date)")
    page_limit: int | None = Field(default=None, ge=1, le=1500)
    stats_period: str | None = None
    stats_symbols: list[str] | None = None
    fee_symbols: list[str] | None = None
    weight_limit: int | None = Field(default=None, ge=1, description="request weight per "
                                     "window shared by every process on this machine (2400)")
    weight_window_s: float | None = Field(default=None, gt=0, description="the weight "
                                          "limit's window (Binance: 60 s)")
    timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    max_rate_limited: int = Field(default=5, ge=0, description="429 waits per request")
    recv_window_ms: int = Field(default=5000, ge=1, le=60000)
    closed_grace_ms: int = Field(default=1000, ge=0, description="a candle counts as closed "
                                 "this long after its close time (server clock)")
    api_key_env: str = API_KEY_ENV
    api_secret_env: str = API_SECRET_ENV
    state_dir: str | None = Field(default=None, description="where the shared weight budget "
                                  "lives; unset: <data dir>/binance_futures")

    def settings(self) -> BinanceConfig:
        """The effective configuration: these fields, then environment, then the file."""
        config = load_config(self.config_path)
        changes: dict[str, Any] = {}
        if self.base_url:
            changes["rest_url"] = self.base_url.rstrip("/")
        if self.pairs is not None:
            changes["pairs"] = tuple(dict.fromkeys(
                parse_pair(p, f"resource pairs[{i}]") for i, p in enumerate(self.pairs)))
        if self.start:
            changes["start"] = parse_time(self.start, what="resource start")
        if self.page_limit:
            changes["page_limit"] = self.page_limit
        if self.weight_limit:
            changes["weight_limit"] = self.weight_limit
        if self.weight_window_s:
            changes["weight_window_s"] = self.weight_window_s
        if self.stats_period:
            if self.stats_period not in STATS_PERIODS:
                raise ConfigError(f"stats_period {self.stats_period!r} is not one of "
                                  f"{', '.join(STATS_PERIODS)}")
            changes["stats_period"] = self.stats_period
        if self.stats_symbols is not None:
            changes["stats_symbols"] = tuple(s.upper() for s in self.stats_symbols)
        if self.fee_symbols is not None:
            changes["fee_symbols"] = tuple(s.upper() for s in self.fee_symbols)
        return replace(config, **changes)

    def budget(self, config: BinanceConfig | None = None) -> WeightBudget:
        config = config or self.settings()
        directory = (Path(self.state_dir) if self.state_dir
                     else settings.data_dir() / "binance_futures")
        return WeightBudget(
            state_path_for(config.rest_url, directory),
            default_buckets(config.weight_limit, config.weight_window_s),
            in_flight_s=self.timeout_s + 5.0,
        )

    def has_credentials(self) -> bool:
        key, secret = self._credentials()
        return bool(key and secret)

    def _credentials(self) -> tuple[str | None, str | None]:
        # resolved at call time: an unset key must not break loading or other assets
        return (EnvVar(self.api_key_env).get_value() or None,
                EnvVar(self.api_secret_env).get_value() or None)

    def _transport(self) -> httpx.BaseTransport | None:
        """The HTTP transport; ``None`` is httpx's own. Test doubles override this."""
        return None

    @contextmanager
    def client(self, log: _Log | None = None, config: BinanceConfig | None = None
               ) -> Iterator[BinanceFuturesClient]:
        config = config or self.settings()
        key, secret = self._credentials()
        client = BinanceFuturesClient(
            config.rest_url,
            self.budget(config),
            api_key=key,
            api_secret=secret,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
            max_rate_limited=self.max_rate_limited,
            recv_window_ms=self.recv_window_ms,
            transport=self._transport(),
            log=log,
        )
        try:
            yield client
        finally:
            client.close()


class BinancePublicDataResource(ConfigurableResource):  # type: ignore[type-arg]
    """Binance's public-data archives (``https://data.binance.vision``, or a mirror: unset means
    ``$TICKVAULT_BINANCE_DATA_URL``, then the config file)."""

    data_url: str | None = None
    config_path: str | None = None
    timeout_s: float = Field(default=60.0, gt=0)
    retries: int = Field(default=4, ge=0)

    def resolved_url(self) -> str:
        return (self.data_url or load_config(self.config_path).data_url).rstrip("/")

    def _transport(self) -> httpx.BaseTransport | None:
        return None

    def download(self, *, symbol: str, interval: str, start: date, end: date, directory: Path,
                 on_file: Any = None, today: date | None = None) -> archives.DownloadResult:
        return archives.download_archives(
            data_url=self.resolved_url(), symbol=symbol, interval=interval, start=start,
            end=end, directory=directory, transport=self._transport(), timeout_s=self.timeout_s,
            retries=self.retries, on_file=on_file, today=today)

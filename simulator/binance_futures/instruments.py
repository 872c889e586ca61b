"""The simulated USD-M contract list: five perpetuals and the current-quarter BTC delivery.

Field names, order and value styles copy the live exchangeInfo capture in
tests/fixtures/binance_futures/fapi_v1_exchangeInfo_full_2021-07-22.json, e.g.::

    {"symbol":"BTCUSDT_210924","pair":"BTCUSDT","contractType":"CURRENT_QUARTER",
     "deliveryDate":1632470400000,"onboardDate":1623830400000,"status":"TRADING",...
     "pricePrecision":1,"quantityPrecision":3,...,"filters":[{"minPrice":"576.3",
     "maxPrice":"500000","filterType":"PRICE_FILTER","tickSize":"0.1"},...]}

Tick and step sizes are today's (BTCUSDT trades in 0.10 ticks with pricePrecision 2, so its
prices print as "30123.40"). Perpetuals carry deliveryDate 4133404800000 as in the capture.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from simulator.market import MarketSpec

__all__ = ["Instrument", "current_quarter_delivery", "instruments"]

PERPETUAL_DELIVERY_MS = 4133404800000
_DAY_MS = 86_400_000
# A quarterly contract lists about 100 days before it delivers (BTCUSDT_210924: onboard
# 1623830400000, delivery 1632470400000).
_QUARTERLY_LISTING_MS = 100 * _DAY_MS


@dataclass(frozen=True)
class Instrument:
    symbol: str
    pair: str
    contract_type: str  # PERPETUAL or CURRENT_QUARTER
    delivery_date: int
    onboard_date: int
    base_asset: str
    price_precision: int
    quantity_precision: int
    tick_size: str
    min_price: str
    max_price: str
    step_size: str
    max_qty: str
    market_max_qty: str
    min_notional: str
    base_price: float
    annual_vol: float
    volume_per_minute: float
    trades_per_minute: float
    open_interest: float  # typical open interest in base asset
    underlying_sub_type: tuple[str, ...] = ()
    liquidation_fee: str = "0.012500"
    market_take_bound: str = "0.05"
    trigger_protect: str = "0.0500"
    path_key: str = ""
    basis: float = 0.0

    @property
    def is_perpetual(self) -> bool:
        return self.contract_type == "PERPETUAL"

    @property
    def expiry_ms(self) -> int | None:
        return None if self.is_perpetual else self.delivery_date

    @property
    def spec(self) -> MarketSpec:
        tick = Decimal(self.tick_size).scaleb(self.price_precision)
        step = Decimal(self.step_size).scaleb(self.quantity_precision)
        return MarketSpec(
            name=self.symbol,
            path_key=self.path_key or self.base_asset,
            base_price=self.base_price,
            annual_vol=self.annual_vol,
            price_decimals=self.price_precision,
            tick_units=int(tick),
            qty_decimals=self.quantity_precision,
            step_units=int(step),
            volume_per_minute=self.volume_per_minute,
            trades_per_minute=self.trades_per_minute,
            basis=self.basis,
            expiry_ms=self.expiry_ms,
        )

    def exchange_info(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "pair": self.pair,
            "contractType": self.contract_type,
            "deliveryDate": self.delivery_date,
            "onboardDate": self.onboard_date,
            "status": "TRADING",
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": self.base_asset,
            "quoteAsset": "USDT",
            "marginAsset": "USDT",
            "pricePrecision": self.price_precision,
            "quantityPrecision": self.quantity_precision,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": list(self.underlying_sub_type),
            "settlePlan": 0,
            "triggerProtect": self.trigger_protect,
            "liquidationFee": self.liquidation_fee,
            "marketTakeBound": self.market_take_bound,
            "filters": [
                {
                    "minPrice": self.min_price,
                    "maxPrice": self.max_price,
                    "filterType": "PRICE_FILTER",
                    "tickSize": self.tick_size,
                },
                {
                    "stepSize": self.step_size,
                    "filterType": "LOT_SIZE",
                    "maxQty": self.max_qty,
                    "minQty": self.step_size,
                },
                {
                    "stepSize": self.step_size,
                    "filterType": "MARKET_LOT_SIZE",
                    "maxQty": self.market_max_qty,
                    "minQty": self.step_size,
                },
                {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
                {"limit": 10, "filterType": "MAX_NUM_ALGO_ORDERS"},
                {"notional": self.min_notional, "filterType": "MIN_NOTIONAL"},
                {
                    "multiplierDown": "0.9500",
                    "multiplierUp": "1.0500",
                    "multiplierDecimal": "4",
                    "filterType": "PERCENT_PRICE",
                },
            ],
            "orderTypes": [
                "LIMIT",
                "MARKET",
                "STOP",
                "STOP_MARKET",
                "TAKE_PROFIT",
                "TAKE_PROFIT_MARKET",
                "TRAILING_STOP_MARKET",
            ],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
        }


_LISTED_2019 = 1569398400000  # onboardDate of the 2019 perpetuals in the capture

_PERPETUALS: tuple[Instrument, ...] = (
    Instrument(
        symbol="BTCUSDT", pair="BTCUSDT", contract_type="PERPETUAL",
        delivery_date=PERPETUAL_DELIVERY_MS, onboard_date=_LISTED_2019, base_asset="BTC",
        price_precision=2, quantity_precision=3, tick_size="0.10", min_price="556.80",
        max_price="4529764", step_size="0.001", max_qty="1000", market_max_qty="120",
        min_notional="100", base_price=65_000.0, annual_vol=0.55, volume_per_minute=180.0,
        trades_per_minute=1_500.0, open_interest=80_000.0,
    ),
    Instrument(
        symbol="ETHUSDT", pair="ETHUSDT", contract_type="PERPETUAL",
        delivery_date=PERPETUAL_DELIVERY_MS, onboard_date=_LISTED_2019, base_asset="ETH",
        price_precision=2, quantity_precision=3, tick_size="0.01", min_price="39.86",
        max_price="306177", step_size="0.001", max_qty="10000", market_max_qty="2000",
        min_notional="20", base_price=3_200.0, annual_vol=0.70, volume_per_minute=2_500.0,
        trades_per_minute=1_200.0, open_interest=2_000_000.0,
    ),
    Instrument(
        symbol="BNBUSDT", pair="BNBUSDT", contract_type="PERPETUAL",
        delivery_date=PERPETUAL_DELIVERY_MS, onboard_date=_LISTED_2019, base_asset="BNB",
        price_precision=3, quantity_precision=2, tick_size="0.010", min_price="6.600",
        max_price="100000", step_size="0.01", max_qty="100000", market_max_qty="2000",
        min_notional="5", base_price=580.0, annual_vol=0.60, volume_per_minute=900.0,
        trades_per_minute=150.0, open_interest=600_000.0, underlying_sub_type=("BSC",),
        liquidation_fee="0.010000",
    ),
    Instrument(
        symbol="SOLUSDT", pair="SOLUSDT", contract_type="PERPETUAL",
        delivery_date=PERPETUAL_DELIVERY_MS, onboard_date=_LISTED_2019, base_asset="SOL",
        price_precision=4, quantity_precision=0, tick_size="0.0100", min_price="0.4200",
        max_price="6857", step_size="1", max_qty="1000000", market_max_qty="5000",
        min_notional="5", base_price=150.0, annual_vol=0.90, volume_per_minute=12_000.0,
        trades_per_minute=500.0, open_interest=8_000_000.0, underlying_sub_type=("Layer-1",),
        liquidation_fee="0.015000",
    ),
    Instrument(
        symbol="XRPUSDT", pair="XRPUSDT", contract_type="PERPETUAL",
        delivery_date=PERPETUAL_DELIVERY_MS, onboard_date=_LISTED_2019, base_asset="XRP",
        price_precision=4, quantity_precision=1, tick_size="0.0001", min_price="0.0143",
        max_price="100000", step_size="0.1", max_qty="10000000", market_max_qty="2000000",
        min_notional="5", base_price=0.55, annual_vol=0.80, volume_per_minute=2_500_000.0,
        trades_per_minute=400.0, open_interest=1_500_000_000.0, underlying_sub_type=("Payment",),
        liquidation_fee="0.010000",
    ),
)


def current_quarter_delivery(now_ms: int) -> int:
    """Next quarterly delivery after ``now_ms``: last Friday of Mar/Jun/Sep/Dec, 08:00 UTC."""
    year = datetime.fromtimestamp(now_ms / 1000, tz=UTC).year
    for y in (year, year + 1):
        for month in (3, 6, 9, 12):
            last_day = calendar.monthrange(y, month)[1]
            day = max(
                d for d in range(last_day - 6, last_day + 1)
                if calendar.weekday(y, month, d) == calendar.FRIDAY
            )
            delivery = int(datetime(y, month, day, 8, tzinfo=UTC).timestamp() * 1000)
            if delivery > now_ms:
                return delivery
    raise AssertionError("unreachable: a quarter always ends within 13 months")


def _quarterly(now_ms: int) -> Instrument:
    delivery = current_quarter_delivery(now_ms)
    suffix = datetime.fromtimestamp(delivery / 1000, tz=UTC).strftime("%y%m%d")
    return Instrument(
        symbol=f"BTCUSDT_{suffix}", pair="BTCUSDT", contract_type="CURRENT_QUARTER",
        delivery_date=delivery, onboard_date=delivery - _QUARTERLY_LISTING_MS, base_asset="BTC",
        price_precision=1, quantity_precision=3, tick_size="0.1", min_price="576.3",
        max_price="500000", step_size="0.001", max_qty="500", market_max_qty="30",
        min_notional="5", base_price=65_000.0, annual_vol=0.55, volume_per_minute=2.0,
        trades_per_minute=25.0, open_interest=1_500.0, liquidation_fee="0.012000",
        market_take_bound="0.10", trigger_protect="0.1500", path_key="BTC", basis=0.015,
    )


def instruments(now_ms: int) -> dict[str, Instrument]:
    """Contracts trading at ``now_ms`` by symbol; the quarterly one rolls with the clock."""
    listed = [*_PERPETUALS, _quarterly(now_ms)]
    return {i.symbol: i for i in listed if i.onboard_date <= now_ms}

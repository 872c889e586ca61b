"""Binance USD-M futures: assets, jobs, schedules and resources."""

from __future__ import annotations

from orchestration.component import Component

COMPONENT = Component()

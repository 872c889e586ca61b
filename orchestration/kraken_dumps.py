"""Kraken historical dumps: assets, jobs, sensor and resources."""

from __future__ import annotations

from orchestration.component import Component

COMPONENT = Component()

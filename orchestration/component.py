"""A bundle of definitions for one external system, merged into the one Definitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import Definitions


@dataclass(frozen=True)
class Component:
    assets: Sequence[Any] = ()
    asset_checks: Sequence[Any] = ()
    jobs: Sequence[Any] = ()
    schedules: Sequence[Any] = ()
    sensors: Sequence[Any] = ()
    resources: Mapping[str, Any] = field(default_factory=dict)

    def definitions(self) -> Definitions:
        return Definitions(
            assets=list(self.assets),
            asset_checks=list(self.asset_checks),
            jobs=list(self.jobs),
            schedules=list(self.schedules),
            sensors=list(self.sensors),
            resources=dict(self.resources),
        )

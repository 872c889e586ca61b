"""The one Definitions object: everything ``dagster dev`` and ``dagster job execute`` load.

Each external system contributes a component (assets, jobs, schedules, sensors, resources);
this module only assembles them.
"""

from __future__ import annotations

from dagster import Definitions

from orchestration import binance_futures, kraken_dumps

_components = (kraken_dumps.COMPONENT, binance_futures.COMPONENT)

defs = Definitions.merge(*(component.definitions() for component in _components))

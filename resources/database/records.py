"""Records shared by every venue, in a module light enough for the command line's fast paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Instrument"]


@dataclass(frozen=True)
class Instrument:
    """A tradable thing on one venue: the venue's own symbol beside the normalized pair."""

    venue: str
    venue_symbol: str
    base: str
    quote: str
    kind: str
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"

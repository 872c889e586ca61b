"""Query-parameter parsing with Binance's validation errors."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from simulator.binance_futures import errors
from simulator.binance_futures.instruments import Instrument, instruments

__all__ = ["Params"]

_SYMBOL = re.compile(r"^[A-Z0-9\-_.]{1,20}$")
_SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
_NUMBER = re.compile(r"^[0-9]{1,20}$")
_NUMBER_RANGE = "^[0-9]{1,20}$"


class Params:
    """The request's query parameters; duplicates are refused (-1101) as on Binance."""

    def __init__(self, query_string: bytes | str) -> None:
        text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
        pairs = parse_qsl(text, keep_blank_values=True)
        self.values: dict[str, str] = {}
        for name, value in pairs:
            if name in self.values:
                raise errors.duplicate()
            self.values[name] = value

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if value else None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise errors.mandatory(name)
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return default
        if not _NUMBER.match(value):
            raise errors.illegal_chars(name, _NUMBER_RANGE)
        return int(value)

    def limit(self, default: int, maximum: int) -> int:
        value = self.integer("limit", default)
        assert value is not None
        if not 1 <= value <= maximum:
            raise errors.invalid_value("limit")
        return value

    def symbol(self, now_ms: int, *, required: bool = True) -> Instrument | None:
        raw = self.text("symbol")
        if raw is None:
            if required:
                raise errors.mandatory("symbol")
            return None
        # The live host accepts lower case and answers with the upper-case symbol.
        name = raw.upper()
        if not _SYMBOL.match(name):
            raise errors.illegal_chars("symbol", _SYMBOL_RANGE)
        found = instruments(now_ms).get(name)
        if found is None:
            raise errors.invalid_symbol()
        return found

    def time_range(self) -> tuple[int | None, int | None]:
        start = self.integer("startTime")
        end = self.integer("endTime")
        if start is not None and end is not None and start > end:
            raise errors.start_after_end()
        return start, end

"""Arrow record batches to PostgreSQL's binary COPY format, vectorized.

Binary COPY spares the server from parsing text (about 40% of its COPY time for trades), and
building it with numpy keeps Python off the critical path: a batch becomes one structured array
whose bytes are the COPY rows.

NUMERIC is sent as base-10000 digit groups. Every row of a batch gets the same number of groups
and the same weight (zero groups pad the short ones); the server strips leading and trailing zero
groups on receipt (``numeric_recv`` → ``make_result``), so the stored value and its display scale
are exactly those of the decimal literal the source printed: ``1.50`` stays ``1.50``,
``1.916e-05`` is stored as ``0.00001916``.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "COPY_HEADER",
    "COPY_TRAILER",
    "Column",
    "EncodeError",
    "PgType",
    "encode_batch",
    "has_byte",
]

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)

_PG_EPOCH_US = 946_684_800 * 1_000_000  # 2000-01-01T00:00:00Z, PostgreSQL's timestamp origin
_UNIT_TO_US = {"s": 1_000_000, "ms": 1_000, "us": 1}
_NUMERIC_POS = 0x0000
_NUMERIC_NEG = 0x4000


class PgType(enum.Enum):
    INT2 = "smallint"
    INT4 = "integer"
    INT8 = "bigint"
    FLOAT8 = "double precision"
    BOOL = "boolean"
    TIMESTAMPTZ = "timestamptz"
    NUMERIC = "numeric"
    TEXT = "text"


@dataclass(frozen=True)
class Column:
    """A target column: its name, type, and whether the batch may hold nulls for it."""

    name: str
    pg_type: PgType
    nullable: bool = False


class EncodeError(ValueError):
    """A value cannot be encoded. ``row`` is its index in the batch."""

    def __init__(self, column: str, row: int, value: object, reason: str) -> None:
        super().__init__(f"column {column!r}, row {row}: {reason}: {value!r}")
        self.column = column
        self.row = row
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class _Numeric:
    groups: int
    weight: int
    sign: np.ndarray  # uint16 per row
    dscale: np.ndarray  # int16 per row
    digits: np.ndarray  # (rows, groups) uint16/uint64


def _first_bad_decimal(values: pa.Array) -> tuple[int, object]:
    for i, value in enumerate(values.to_pylist()):
        try:
            if value is None or not Decimal(value).is_finite() or str(value).strip() != value:
                return i, value
        except (InvalidOperation, TypeError, ValueError):
            return i, value
    return -1, None


def _data_bytes(values: pa.Array) -> np.ndarray:
    """The bytes of a string array's values (all of them, sliced or not: a cheap over-read)."""
    data = values.buffers()[2]
    return np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)


def has_byte(values: pa.Array, *chars: str) -> bool:
    """Whether any value contains one of ``chars`` (a scan of the raw buffer, no per-row work)."""
    data = _data_bytes(values)
    return any(bool((data == ord(c)).any()) for c in chars)


def _dscale_of_literals(values: pa.Array) -> np.ndarray:
    """The display scale of each decimal literal, as PostgreSQL's numeric_in computes it."""
    length = pc.binary_length(values).to_numpy(zero_copy_only=False).astype(np.int64)
    dot = pc.find_substring(values, ".").to_numpy(zero_copy_only=False).astype(np.int64)
    end, exponent = length, np.zeros(len(values), np.int64)
    if has_byte(values, "e", "E"):  # e-notation is rare outside tiny prices: skip it if absent
        epos = pc.find_substring(values, "e", ignore_case=True).to_numpy(zero_copy_only=False)
        epos = epos.astype(np.int64)
        has_e = epos >= 0
        end = np.where(has_e, epos, length)
        rows = np.flatnonzero(has_e)
        parts = pc.split_pattern(pc.ascii_lower(values.take(pa.array(rows))), "e")
        digits = pc.utf8_ltrim(pc.list_element(parts, 1), "+")
        exponent[rows] = pc.cast(digits, pa.int64()).to_numpy()
    frac = np.where((dot >= 0) & (dot < end), end - dot - 1, 0)
    return np.asarray(np.maximum(frac - exponent, 0), dtype=np.int64)


def _groups_needed(largest: int) -> int:
    return max(1, -(-len(str(largest)) // 4))


def _numeric_from_unscaled(
    lo: np.ndarray, negative: np.ndarray, scale: int, dscale: np.ndarray
) -> _Numeric | None:
    """Digit groups from non-negative magnitudes ``lo`` (uint64) at a common ``scale``."""
    aligned = -(-scale // 4) * 4  # group boundaries fall on multiples of 4 decimal places
    factor = 10 ** (aligned - scale)
    if len(lo) and int(lo.max()) > (2**64 - 1) // factor:
        return None
    value = lo * np.uint64(factor)
    largest = int(value.max()) if len(value) else 0
    groups = _groups_needed(largest)
    digits = np.empty((len(value), groups), np.uint64)
    for i in range(groups):
        digits[:, groups - 1 - i] = (value // np.uint64(10_000**i)) % np.uint64(10_000)
    sign = np.where(negative & (value != 0), _NUMERIC_NEG, _NUMERIC_POS).astype(np.uint16)
    return _Numeric(groups, groups - 1 - aligned // 4, sign, dscale.astype(np.int16), digits)


def _numeric_slow(values: list[Decimal], dscale: np.ndarray | None = None) -> _Numeric:
    """Same layout as the vectorized path, with Python integers: for values beyond 64 bits."""
    if dscale is None:
        dscale = np.array([max(0, -int(v.as_tuple().exponent)) for v in values], np.int64)
    scale = int(dscale.max()) if len(dscale) else 0
    aligned = -(-scale // 4) * 4
    magnitudes = []
    for v in values:  # from the digit tuple: Decimal arithmetic would round at 28 digits
        _, digit_tuple, exponent = v.as_tuple()
        magnitudes.append(int("".join(map(str, digit_tuple)) or "0")
                          * 10 ** (int(exponent) + aligned))
    groups = _groups_needed(max(magnitudes, default=0))
    digits = np.zeros((len(values), groups), np.uint64)
    for row, magnitude in enumerate(magnitudes):
        col = groups - 1
        while magnitude:
            magnitude, digits[row, col] = divmod(magnitude, 10_000)
            col -= 1
    negative = np.array([v.is_signed() and v != 0 for v in values], dtype=bool)
    sign = np.where(negative, _NUMERIC_NEG, _NUMERIC_POS).astype(np.uint16)
    return _Numeric(groups, groups - 1 - aligned // 4, sign, dscale.astype(np.int16), digits)


def _numeric(column: str, values: pa.Array) -> _Numeric:
    n = len(values)
    if pa.types.is_decimal(values.type):
        dscale = np.full(n, values.type.scale, np.int64)
        decimals = values
    elif pa.types.is_integer(values.type):
        dscale = np.zeros(n, np.int64)
        decimals = pc.cast(values, pa.decimal128(38, 0))
    elif pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        try:
            dscale = _dscale_of_literals(values)
            scale = int(dscale.max()) if n else 0
            decimals = pc.cast(values, pa.decimal128(38, min(scale, 37)))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            row, bad = _first_bad_decimal(values)
            if row < 0:  # valid literals that do not fit decimal128(38): exact slow path
                return _numeric_slow([Decimal(v) for v in values.to_pylist()])
            raise EncodeError(column, row, bad, "not a decimal number") from None
    else:
        raise TypeError(f"column {column!r}: cannot send {values.type} as numeric")
    if pa.types.is_decimal256(decimals.type):
        return _numeric_slow([Decimal(v) for v in decimals.to_pylist()], dscale)
    scale = decimals.type.scale
    words = np.frombuffer(decimals.buffers()[1], np.uint64, 2 * n, decimals.offset * 16)
    words = words.reshape(n, 2)
    lo, hi = words[:, 0], words[:, 1].view(np.int64)
    negative = hi < 0
    magnitude = np.where(negative, ~lo + np.uint64(1), lo)
    fits = np.where(negative, (hi == -1) & (lo != 0), hi == 0)
    if fits.all():
        encoded = _numeric_from_unscaled(magnitude, negative, scale, dscale)
        if encoded is not None:
            return encoded
    return _numeric_slow([Decimal(v) for v in decimals.to_pylist()], dscale)


def _timestamps_us(column: str, values: pa.Array) -> np.ndarray:
    kind = values.type
    if not pa.types.is_timestamp(kind):
        raise TypeError(f"column {column!r}: expected a timestamp, got {kind}")
    if kind.tz not in {"UTC", "+00:00", "Etc/UTC"}:
        raise TypeError(f"column {column!r}: timestamps must be tz-aware UTC, got tz={kind.tz!r}")
    raw = values.cast(pa.int64()).to_numpy(zero_copy_only=False)
    if kind.unit == "ns":
        if (raw % 1000).any():
            row = int(np.flatnonzero(raw % 1000)[0])
            raise EncodeError(column, row, values[row].as_py(), "finer than a microsecond")
        return np.asarray(raw // 1000 - _PG_EPOCH_US)
    return np.asarray(raw * _UNIT_TO_US[kind.unit] - _PG_EPOCH_US)


_ARROW_NULL_TYPE = {
    PgType.INT2: pa.int16(), PgType.INT4: pa.int32(), PgType.INT8: pa.int64(),
    PgType.FLOAT8: pa.float64(), PgType.BOOL: pa.bool_(), PgType.NUMERIC: pa.string(),
    PgType.TEXT: pa.string(), PgType.TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
}

_FIXED = {
    PgType.INT2: (">i2", 2),
    PgType.INT4: (">i4", 4),
    PgType.INT8: (">i8", 8),
    PgType.FLOAT8: (">f8", 8),
    PgType.BOOL: ("u1", 1),
    PgType.TIMESTAMPTZ: (">i8", 8),
}


def _encode_uniform(
    batch: pa.RecordBatch, columns: Sequence[Column], constants: Mapping[str, object],
    null_columns: frozenset[str],
) -> memoryview:
    """Encode rows that share one null pattern: every row then has the same byte layout."""
    n = batch.num_rows
    fields: list[tuple[str, object] | tuple[str, object, tuple[int, ...]]] = [("nfields", ">i2")]
    fill: list[tuple[str, object]] = [("nfields", len(columns))]
    for i, col in enumerate(columns):
        length_name = f"len{i}"
        fields.append((length_name, ">i4"))
        if col.name in null_columns:
            fill.append((length_name, -1))
            continue
        if col.name in constants:
            value = constants[col.name]
            if col.pg_type is PgType.NUMERIC or col.pg_type is PgType.TIMESTAMPTZ:
                raise TypeError(f"constant {col.name!r}: only integer/bool constants are supported")
            dtype, size = _FIXED[col.pg_type]
            fields.append((f"v{i}", dtype))
            fill += [(length_name, size), (f"v{i}", value)]
            continue
        values = batch.column(col.name)
        if col.pg_type is PgType.NUMERIC:
            num = _numeric(col.name, values)
            fields += [(f"nd{i}", ">i2"), (f"w{i}", ">i2"), (f"s{i}", ">u2"), (f"ds{i}", ">i2"),
                       (f"d{i}", ">u2", (num.groups,))]
            fill += [(length_name, 8 + 2 * num.groups), (f"nd{i}", num.groups),
                     (f"w{i}", num.weight), (f"s{i}", num.sign), (f"ds{i}", num.dscale),
                     (f"d{i}", num.digits)]
        elif col.pg_type is PgType.TIMESTAMPTZ:
            fields.append((f"v{i}", ">i8"))
            fill += [(length_name, 8), (f"v{i}", _timestamps_us(col.name, values))]
        else:
            dtype, size = _FIXED[col.pg_type]
            fields.append((f"v{i}", dtype))
            array = values.to_numpy(zero_copy_only=False)
            fill += [(length_name, size), (f"v{i}", array)]
    row_type = np.dtype(fields)  # (name, type[, shape]) tuples
    # Values shared by every row (lengths, constants, numeric headers) go into one template row
    # that fills the array in a single pass; only per-row values are then written column-wise.
    template = np.zeros(1, row_type)
    per_row = []
    for name, value in fill:
        if np.ndim(value) == 0:  # type: ignore[arg-type]
            template[name] = value
        else:
            per_row.append((name, value))
    rows = np.repeat(template, n)  # measured: faster than np.full or field-by-field fills
    for name, value in per_row:
        rows[name] = value
    return memoryview(rows).cast("B")  # type: ignore[arg-type]  # the array's own bytes


def _encode_rows(
    batch: pa.RecordBatch, columns: Sequence[Column], constants: Mapping[str, object]
) -> bytes:
    """Row by row, for batches with text columns (small reference tables only)."""
    out = bytearray()
    arrays = {c.name: batch.column(c.name) for c in columns if c.name not in constants}
    numerics = {c.name: _numeric(c.name, arrays[c.name]) for c in columns
                if c.pg_type is PgType.NUMERIC and c.name not in constants
                and arrays[c.name].null_count == 0}
    stamps = {c.name: _timestamps_us(c.name, arrays[c.name].fill_null(0)
                                     if arrays[c.name].null_count else arrays[c.name])
              for c in columns if c.pg_type is PgType.TIMESTAMPTZ and c.name not in constants}
    for row in range(batch.num_rows):
        out += struct.pack(">h", len(columns))
        for col in columns:
            if col.name in constants:
                value: object = constants[col.name]
            else:
                array = arrays[col.name]
                if not array[row].is_valid:
                    out += struct.pack(">i", -1)
                    continue
                value = array[row].as_py()
            if col.pg_type is PgType.TEXT:
                data = str(value).encode()
                out += struct.pack(">i", len(data)) + data
            elif col.pg_type is PgType.TIMESTAMPTZ:
                out += struct.pack(">iq", 8, int(stamps[col.name][row]))
            elif col.pg_type is PgType.NUMERIC:
                num = numerics.get(col.name) or _numeric(col.name, array.slice(row, 1))
                r = row if col.name in numerics else 0
                digits = num.digits[r].astype(">u2").tobytes()
                out += struct.pack(">ihhHh", 8 + len(digits), num.groups, num.weight,
                                   int(num.sign[r]), int(num.dscale[r])) + digits
            else:
                dtype, size = _FIXED[col.pg_type]
                out += struct.pack(">i", size) + np.array([value], dtype=dtype).tobytes()
    return bytes(out)


def encode_batch(
    batch: pa.RecordBatch, columns: Sequence[Column], constants: Mapping[str, object] | None = None
) -> bytes | memoryview:
    """The binary COPY rows (no header, no trailer) for ``batch`` laid out as ``columns``.

    ``constants`` gives integer values shared by every row (an instrument id, an interval) that
    the batch does not carry. Nullable columns may mix nulls and values; rows are then grouped by
    null pattern, which changes their order in the stream but not what is stored.
    """
    constants = constants or {}
    if batch.num_rows == 0:
        return memoryview(b"")
    absent = frozenset(c.name for c in columns if c.name not in constants
                       and batch.schema.get_field_index(c.name) < 0)
    for col in columns:
        if col.name in constants or col.name in absent:
            if col.name in absent and not col.nullable:
                raise KeyError(f"batch has no column {col.name!r}")
            continue
        nulls = batch.column(col.name).null_count
        if nulls and not col.nullable:
            isnull = batch.column(col.name).is_null().to_numpy(zero_copy_only=False)
            row = int(np.flatnonzero(isnull)[0])
            raise EncodeError(col.name, row, None, "missing value")
    if absent:  # a nullable column the source does not have (Kraken has no quote volume)
        for name in sorted(absent):
            column = next(c for c in columns if c.name == name)
            nulls = pa.nulls(batch.num_rows, _ARROW_NULL_TYPE[column.pg_type])
            batch = batch.append_column(name, nulls)
    if any(c.pg_type is PgType.TEXT for c in columns):
        return _encode_rows(batch, columns, constants)
    nullable = [c for c in columns if c.nullable and c.name not in constants
                and batch.column(c.name).null_count]
    if not nullable:
        return _encode_uniform(batch, columns, constants, frozenset())
    pattern = np.zeros(batch.num_rows, np.int64)
    for bit, col in enumerate(nullable):
        isnull = batch.column(col.name).is_null().to_numpy(zero_copy_only=False)
        pattern |= isnull.astype(np.int64) << bit
    parts = []
    for code in np.unique(pattern):
        rows = np.flatnonzero(pattern == code)
        nulls = frozenset(c.name for bit, c in enumerate(nullable) if code >> bit & 1)
        sub = batch.take(pa.array(rows))
        parts.append(_encode_uniform(sub, columns, constants, nulls))
    return b"".join(parts)

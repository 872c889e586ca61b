"""``tickvault export``: candles or trades out of the database, exactly as stored.

CSV has a header row, unix seconds, and plain decimals (PostgreSQL's numeric text never uses
e-notation, so ``1.916e-05`` comes back as ``0.00001916``: the same value). Parquet keeps the
values exact as decimal columns sized to the data.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql as pgsql

import sql
from orchestration.resources import SHARED
from resources.database import PostgresResource
from resources.intervals import parse_interval

VENUES = ("kraken", "kraken-futures", "binance-futures")
_FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def _when(text: str | None, default: datetime) -> datetime:
    if not text:
        return default
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date/time or unix seconds") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _instrument(conn: psycopg.Connection[Any], venue: str, pair: str) -> int:
    rows = conn.execute(sql.load("select_instruments_by_symbol"),
                        {"venue": venue, "symbol": pair}).fetchall()
    exact = [r for r in rows if r[1].upper() == pair.upper()]
    if exact:
        return int(exact[0][0])
    if len(rows) == 1:
        return int(rows[0][0])
    if not rows:
        raise click.ClickException(f"no {venue} instrument {pair!r} in the database")
    names = ", ".join(f"{r[1]} ({r[2]}/{r[3]})" for r in rows)
    raise click.ClickException(f"{pair!r} matches several {venue} instruments: {names}; "
                               "name one by its venue symbol")


def _open_output(output: Path | None) -> IO[bytes]:
    if output is None:
        return sys.stdout.buffer
    return open(output, "wb")  # closed by the caller


def _write_csv(conn: psycopg.Connection[Any], query: str, params: dict[str, Any],
               out: IO[bytes]) -> int:
    rows = 0
    statement = pgsql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(
        pgsql.SQL(query.strip().rstrip(";")))  # type: ignore[arg-type]  # text from sql/
    with conn.cursor() as cur, cur.copy(statement, params) as copy:  # params quoted client-side
        for chunk in copy:
            data = bytes(chunk)
            rows += data.count(b"\n")
            out.write(data)
    return max(0, rows - 1)


def _decimal_types(conn: psycopg.Connection[Any], query: str, params: dict[str, Any],
                   columns: list[str]) -> dict[str, pa.DataType]:
    """decimal128(p, s) wide enough for each column's values in the export (else text): one
    pass over the export for all columns."""
    if not columns:
        return {}
    aggregates = pgsql.SQL(", ").join(
        pgsql.SQL("max(scale({c})), max(length(trunc(abs({c}))::text))").format(
            c=pgsql.Identifier(c)) for c in columns)
    statement = pgsql.SQL("SELECT {a} FROM ({q}) AS export").format(
        a=aggregates, q=pgsql.SQL(query.strip().rstrip(";")))  # type: ignore[arg-type]
    row = conn.execute(statement, params).fetchone() or ()
    types: dict[str, pa.DataType] = {}
    for i, column in enumerate(columns):
        scale, digits = int(row[2 * i] or 0), int(row[2 * i + 1] or 1)
        types[column] = (pa.decimal128(digits + scale, scale) if digits + scale <= 38
                         else pa.string())
    return types


def _write_parquet(conn: psycopg.Connection[Any], query: str, params: dict[str, Any],
                   out: IO[bytes], chunk_rows: int = 200_000) -> int:
    """Streams row groups of ``chunk_rows``: memory stays bounded whatever the export's size."""
    with conn.cursor() as probe:
        probe.execute(pgsql.SQL("SELECT * FROM ({}) AS export LIMIT 0").format(
            pgsql.SQL(query.strip().rstrip(";"))), params)  # type: ignore[arg-type]
        names = [d.name for d in probe.description or []]
    integers = {"timestamp", "trade_count"}
    types = {name: pa.int64() for name in names if name in integers}
    types.update(_decimal_types(conn, query, params, [n for n in names if n not in integers]))
    schema = pa.schema([(name, types[name]) for name in names])
    rows = 0
    with conn.transaction(), conn.cursor(name="tickvault_export") as cur, \
            pq.ParquetWriter(out, schema) as writer:
        cur.execute(query, params)  # type: ignore[arg-type]  # a query from sql/, not input
        while chunk := cur.fetchmany(chunk_rows):
            columns = [
                pa.array([row[i] if types[n] != pa.string() or row[i] is None else str(row[i])
                          for row in chunk], types[n])
                for i, n in enumerate(names)
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
            rows += len(chunk)
    return rows


@click.group()
def export() -> None:
    """Write stored candles or trades as CSV or Parquet."""


def _options(fn: Any) -> Any:
    for option in reversed([
        click.option("--venue", type=click.Choice(VENUES), required=True),
        click.option("--pair", required=True,
                     help="The venue's symbol (XBTUSD, BTCUSDT) or BASE/QUOTE (BTC/USD)."),
        click.option("--start", help="ISO date/time (UTC if no offset) or unix seconds; "
                                     "inclusive."),
        click.option("--end", help="ISO date/time or unix seconds; exclusive."),
        click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
                     show_default=True),
        click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
                     help="Default: standard output."),
    ]):
        fn = option(fn)
    return fn


def _run(query_name: str, params: dict[str, Any], venue: str, pair: str, fmt: str,
         output: Path | None) -> None:
    database: PostgresResource = SHARED["database"]
    with database.connect() as conn:
        params["instrument_id"] = _instrument(conn, venue, pair)
        query = sql.load(query_name)
        out = _open_output(output)
        try:
            rows = (_write_parquet if fmt == "parquet" else _write_csv)(conn, query, params, out)
        finally:
            if output is not None:
                out.close()
            else:
                out.flush()
    if output is not None:
        click.echo(f"wrote {rows:,} rows to {output}", err=True)


@export.command()
@click.option("--interval", required=True,
              help="Minutes as Kraken names them (1440) or a label (1m, 4h, 1d).")
@click.option("--all-columns", is_flag=True,
              help="Also quote volume and taker-buy volumes (Binance).")
@_options
def candles(interval: str, all_columns: bool, venue: str, pair: str, start: str | None,
            end: str | None, fmt: str, output: Path | None) -> None:
    """timestamp,open,high,low,close,volume,trade_count — oldest first."""
    try:
        seconds = parse_interval(interval)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    params = {"interval_s": seconds, "start": _when(start, _FAR_PAST),
              "end": _when(end, _FAR_FUTURE)}
    _run("copy_candles_all_columns" if all_columns else "copy_candles", params, venue, pair, fmt,
         output)


@export.command()
@_options
def trades(venue: str, pair: str, start: str | None, end: str | None, fmt: str,
           output: Path | None) -> None:
    """timestamp,price,volume — in the source's original order."""
    params = {"start": _when(start, _FAR_PAST), "end": _when(end, _FAR_FUTURE)}
    _run("copy_trades", params, venue, pair, fmt, output)

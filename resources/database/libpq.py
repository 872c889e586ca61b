"""A tiny PostgreSQL client for one-statement reads: libpq called through ctypes.

Why it exists: importing psycopg costs ~110 ms (its C extension, importlib.metadata, asyncio...),
more than everything else a re-run over an unchanged Kraken dump does. That re-run asks the
ingest ledger a single question; this module asks it through the same libpq that psycopg uses
(the system's ``libpq.so.5``, else the copy bundled with psycopg-binary), for a few ms.

The surface is deliberately small: :func:`fetch_all` connects, runs one statement with bound
text parameters (autocommit; meant for SELECTs) and returns the rows as text. Values are never
formatted into the SQL. Every failure (no libpq, no server, no database, an SQL error,
undecodable text) raises :class:`LibpqError`; callers fall back to their psycopg path then,
never to a guess.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["TEXT_ARRAY_OID", "TEXT_OID", "LibpqError", "fetch_all", "text_array"]

TEXT_OID = 25
TEXT_ARRAY_OID = 1009

_CONNECTION_OK = 0  # ConnStatusType
_PGRES_TUPLES_OK = 2  # ExecStatusType
_PG_DIAG_SQLSTATE = ord("C")

_SYSTEM_LIBPQ = "libpq.so.5"


class LibpqError(Exception):
    """libpq could not be loaded, could not connect, or the statement failed."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


_loaded: ctypes.CDLL | None = None


def _bundled_candidates() -> list[str]:
    """psycopg-binary's own libpq, found on ``sys.path`` without importing psycopg_binary."""
    found = []
    for entry in sys.path:
        folder = os.path.join(entry or ".", "psycopg_binary.libs")
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        found += [os.path.join(folder, n) for n in names
                  if n.startswith("libpq") and ".so" in n]
    return found


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    p, i, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    strings = ctypes.POINTER(ctypes.c_char_p)
    signatures: dict[str, tuple[type | None, list[type]]] = {
        "PQconnectdbParams": (p, [strings, strings, i]),
        "PQstatus": (i, [p]),
        "PQerrorMessage": (s, [p]),
        "PQfinish": (None, [p]),
        "PQexecParams": (p, [p, s, i, ctypes.POINTER(ctypes.c_uint), strings,
                             ctypes.POINTER(i), ctypes.POINTER(i), i]),
        "PQresultStatus": (i, [p]),
        "PQresultErrorMessage": (s, [p]),
        "PQresultErrorField": (s, [p, i]),
        "PQntuples": (i, [p]),
        "PQnfields": (i, [p]),
        "PQgetisnull": (i, [p, i, i]),
        "PQgetvalue": (p, [p, i, i]),
        "PQgetlength": (i, [p, i, i]),
        "PQclear": (None, [p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def _library() -> ctypes.CDLL:
    global _loaded
    if _loaded is None:
        # Not ctypes.util.find_library: it runs ldconfig (a subprocess) to answer.
        errors = []
        for candidate in [_SYSTEM_LIBPQ, *_bundled_candidates()]:
            try:
                _loaded = _declare(ctypes.CDLL(candidate))
                break
            except (OSError, AttributeError) as exc:  # missing, or too old to have a symbol
                errors.append(f"{candidate}: {exc}")
        else:
            raise LibpqError("no usable libpq: " + ("; ".join(errors) or "none found"))
    return _loaded


def _text(raw: bytes | None) -> str:
    try:
        return (raw or b"").decode("utf-8").strip()
    except UnicodeDecodeError:
        return repr(raw)


def _strings(values: Sequence[bytes | None]) -> ctypes.Array[ctypes.c_char_p]:
    return (ctypes.c_char_p * (len(values) + 1))(*values, None)


def _encode(value: str, what: str) -> bytes:
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError as exc:  # e.g. a file name that is not valid UTF-8
        raise LibpqError(f"{what} is not valid UTF-8: {exc}") from None
    if b"\0" in encoded:  # libpq takes C strings; PostgreSQL text cannot hold NUL either
        raise LibpqError(f"{what} contains a NUL character")
    return encoded


def fetch_all(conninfo: Mapping[str, str], statement: str, params: Sequence[str | None] = (),
              param_types: Sequence[int] | None = None) -> list[tuple[str | None, ...]]:
    """Connect, run ``statement`` with ``params`` bound as ``$1, $2, ...`` (text format; None
    is NULL; ``param_types`` are type OIDs, 0 or omitted to let the server infer), and return
    every row with each value as text (None for NULL).

    ``conninfo`` holds libpq connection keywords; a ``dbname`` that is a connection string or a
    ``postgresql://`` URL is expanded, as psycopg does, and later keywords override it. The
    client encoding is always UTF8.
    """
    if param_types is not None and len(param_types) != len(params):
        raise ValueError("param_types and params differ in length")
    lib = _library()
    settings = {k: v for k, v in conninfo.items() if k != "client_encoding"}
    settings["client_encoding"] = "UTF8"  # last: it overrides one in an expanded dbname too
    keywords = _strings([k.encode() for k in settings])
    values = _strings([_encode(v, f"connection parameter {k}") for k, v in settings.items()])
    conn = lib.PQconnectdbParams(keywords, values, 1)
    if not conn:
        raise LibpqError("libpq could not allocate a connection")
    try:
        if lib.PQstatus(conn) != _CONNECTION_OK:
            raise LibpqError(_text(lib.PQerrorMessage(conn)))
        encoded = [None if v is None else _encode(v, "a parameter") for v in params]
        types = (ctypes.c_uint * len(params))(*(param_types or [0] * len(params)))
        result = lib.PQexecParams(conn, _encode(statement, "the statement"), len(encoded),
                                  types, _strings(encoded), None, None, 0)
        if not result:
            raise LibpqError(_text(lib.PQerrorMessage(conn)))
        try:
            if lib.PQresultStatus(result) != _PGRES_TUPLES_OK:
                state = lib.PQresultErrorField(result, _PG_DIAG_SQLSTATE)
                raise LibpqError(_text(lib.PQresultErrorMessage(result)),
                                 state.decode("ascii") if state else None)
            return _rows(lib, result)
        finally:
            lib.PQclear(result)
    finally:
        lib.PQfinish(conn)


def _rows(lib: ctypes.CDLL, result: int) -> list[tuple[str | None, ...]]:
    rows = []
    columns = range(lib.PQnfields(result))
    try:
        for r in range(lib.PQntuples(result)):
            rows.append(tuple(
                None if lib.PQgetisnull(result, r, c) else
                ctypes.string_at(lib.PQgetvalue(result, r, c),
                                 lib.PQgetlength(result, r, c)).decode("utf-8")
                for c in columns))
    except UnicodeDecodeError as exc:
        raise LibpqError(f"a value is not valid UTF-8: {exc}") from None
    return rows


def text_array(values: Iterable[str]) -> str:
    """A PostgreSQL ``text[]`` literal holding exactly ``values``: every element double-quoted,
    with backslashes and double quotes escaped, so commas, braces, spaces and the word NULL
    inside an element stay part of it."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"

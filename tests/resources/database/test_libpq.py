"""The ctypes libpq client: bound parameters, NULLs, exact text arrays, and failures as errors."""

from __future__ import annotations

import socket

import pytest
from psycopg import conninfo

from resources.database import libpq

AWKWARD = [
    "plain", "", "a,b", 'say "hi"', "back\\slash", "trailing\\", "{braces}", "}", "{", "NULL",
    "null", " spaced ", "tab\there", "new\nline", "it's", "ünïcödé ✓ 日本", "'; DROP TABLE x; --",
    "$1", "%(paths)s", '\\"', ",", '"',
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bound_parameters_nulls_and_text_results(database_url):
    rows = libpq.fetch_all({"dbname": database_url},
                           "SELECT $1::text, $2::text IS NULL, NULL::int, 42::bigint, true, "
                           "length($1)", ["ünï'cödé", None])
    assert rows == [("ünï'cödé", "t", None, "42", "t", "8")]


def test_no_rows_and_many_rows(database_url):
    assert libpq.fetch_all({"dbname": database_url}, "SELECT 1 WHERE false") == []
    rows = libpq.fetch_all({"dbname": database_url},
                           "SELECT g, g * 2 FROM generate_series(1, $1::int) g", ["1000"])
    assert rows == [(str(i), str(i * 2)) for i in range(1, 1001)]


def test_a_value_is_never_sql(database_url):
    evil = "x'); SELECT pg_sleep(10); --"
    assert libpq.fetch_all({"dbname": database_url}, "SELECT $1", [evil],
                           [libpq.TEXT_OID]) == [(evil,)]


def test_text_array_is_exact_for_any_string(database_url):
    rows = libpq.fetch_all(
        {"dbname": database_url},
        "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS t(x, n) ORDER BY n",
        [libpq.text_array(AWKWARD)], [libpq.TEXT_ARRAY_OID])
    assert [r[0] for r in rows] == AWKWARD
    assert libpq.fetch_all({"dbname": database_url}, "SELECT cardinality($1::text[])",
                           [libpq.text_array([])]) == [("0",)]
    # = ANY() matches each element exactly, and nothing else
    matched = libpq.fetch_all({"dbname": database_url},
                              "SELECT x FROM unnest($2::text[]) x WHERE x = ANY($1::text[])",
                              [libpq.text_array(AWKWARD[:5]), libpq.text_array(AWKWARD)])
    assert sorted(r[0] for r in matched) == sorted(AWKWARD[:5])


def test_connection_keywords_override_the_url(database_url):
    url = conninfo.make_conninfo(database_url, application_name="from_url")
    rows = libpq.fetch_all({"dbname": url, "application_name": "override"},
                           "SELECT current_setting('application_name'), "
                           "current_setting('client_encoding'), current_database()")
    assert rows == [("override", "UTF8", conninfo.conninfo_to_dict(database_url)["dbname"])]
    # client_encoding is always UTF8, even when the URL asks for another
    latin = conninfo.make_conninfo(database_url, client_encoding="LATIN1")
    assert libpq.fetch_all({"dbname": latin}, "SELECT $1::text", ["é"]) == [("é",)]


def test_failures_are_errors(database_url):
    with pytest.raises(libpq.LibpqError):  # nothing listens there
        libpq.fetch_all({"host": "127.0.0.1", "port": str(_free_port()), "dbname": "x",
                         "connect_timeout": "2"}, "SELECT 1")
    missing = conninfo.make_conninfo(database_url, dbname="tickvault_no_such_database")
    with pytest.raises(libpq.LibpqError, match="does not exist"):
        libpq.fetch_all({"dbname": missing}, "SELECT 1")
    with pytest.raises(libpq.LibpqError) as info:
        libpq.fetch_all({"dbname": database_url}, "SELECT * FROM no_such_table_at_all")
    assert info.value.sqlstate == "42P01"
    with pytest.raises(libpq.LibpqError) as info:
        libpq.fetch_all({"dbname": database_url}, "SELECT $1::int", ["not a number"])
    assert info.value.sqlstate == "22P02"
    with pytest.raises(libpq.LibpqError, match="NUL"):
        libpq.fetch_all({"dbname": database_url}, "SELECT $1", ["a\0b"])
    with pytest.raises(libpq.LibpqError, match="UTF-8"):  # os.fsdecode of a non-UTF-8 name
        libpq.fetch_all({"dbname": database_url}, "SELECT $1", [b"caf\xe9".decode(
            "utf-8", "surrogateescape")])
    with pytest.raises(ValueError):
        libpq.fetch_all({"dbname": database_url}, "SELECT $1", ["a"], [])


def test_bundled_libpq_when_the_system_has_none(monkeypatch, database_url):
    if not libpq._bundled_candidates():
        pytest.skip("psycopg-binary's libpq is not installed")
    monkeypatch.setattr(libpq, "_SYSTEM_LIBPQ", "libpq-not-installed.so.5")
    monkeypatch.setattr(libpq, "_loaded", None)
    assert libpq.fetch_all({"dbname": database_url}, "SELECT $1", ["ok"]) == [("ok",)]


def test_no_libpq_at_all_is_an_error(monkeypatch, database_url):
    monkeypatch.setattr(libpq, "_SYSTEM_LIBPQ", "libpq-not-installed.so.5")
    monkeypatch.setattr(libpq, "_bundled_candidates", lambda: [])
    monkeypatch.setattr(libpq, "_loaded", None)
    with pytest.raises(libpq.LibpqError, match="no usable libpq"):
        libpq.fetch_all({"dbname": database_url}, "SELECT 1")

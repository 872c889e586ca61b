"""SQL text, kept in ``.sql`` files beside this module and loaded by name.

``load("upsert_instrument")`` returns the text of the one file named ``upsert_instrument.sql``
anywhere under this package. Values are always bound parameters; identifiers are composed with
``psycopg.sql`` by the caller, never formatted into these files.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["load", "migrations"]


def _package() -> Traversable:
    """This package's files. Installed as a directory (always, in practice) that is a Path:
    importlib.resources, ~10 ms to import, is needed only for a package inside a zip."""
    here = Path(__file__).parent
    if here.is_dir():
        return here
    from importlib import resources

    return resources.files(__name__)


def _walk(node: Traversable) -> list[Traversable]:
    found: list[Traversable] = []
    for child in node.iterdir():
        if child.is_dir():
            found.extend(_walk(child))
        elif child.name.endswith(".sql"):
            found.append(child)
    return found


@cache
def _index() -> dict[str, Traversable]:
    index: dict[str, Traversable] = {}
    for path in _walk(_package()):
        if path.name[:4].isdigit():  # migrations are listed by migrations(), not by name
            continue
        name = path.name.removesuffix(".sql")
        if name in index:
            raise RuntimeError(f"two SQL files are named {name}.sql")
        index[name] = path
    return index


def load(name: str) -> str:
    """Return the text of ``<name>.sql``."""
    try:
        return _index()[name].read_text(encoding="utf-8")
    except KeyError:
        raise KeyError(f"no SQL file named {name}.sql under sql/") from None


def migrations() -> list[tuple[str, str, Traversable, Traversable | None]]:
    """Ordered migrations: (version, name, plain file, TimescaleDB variant or None).

    ``0003_create_trades.sql`` is version ``0003`` named ``create_trades``; a sibling
    ``0003_create_trades.timescale.sql`` replaces it when the TimescaleDB extension is active.
    """
    folder = _package().joinpath("migrations")
    plain: dict[str, Traversable] = {}
    variants: dict[str, Traversable] = {}
    for path in folder.iterdir():
        if not path.name.endswith(".sql"):
            continue
        if path.name.endswith(".timescale.sql"):
            variants[path.name.removesuffix(".timescale.sql")] = path
        else:
            plain[path.name.removesuffix(".sql")] = path
    unknown = set(variants) - set(plain)
    if unknown:
        raise RuntimeError(f"TimescaleDB variants without a plain migration: {sorted(unknown)}")
    ordered = []
    for stem in sorted(plain):
        version, _, name = stem.partition("_")
        ordered.append((version, name, plain[stem], variants.get(stem)))
    versions = [v for v, *_ in ordered]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in sql/migrations: {versions}")
    return ordered

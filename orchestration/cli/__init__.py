"""The ``tickvault`` command line.

Every data-moving command runs the project's Dagster assets in-process against the persistent
instance in ``$DAGSTER_HOME`` (default: ``<data dir>/dagster_home``), so its runs show in the UI.

This module stays free of click: a re-run of ``tickvault kraken ingest-*`` over an unchanged
dump is answered before click loads (see :mod:`orchestration.cli.unchanged`). The click group
is :mod:`orchestration.cli.group` (``main`` here too, loaded on first use).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

# Dagster's notes on beta/preview APIs are for this project's developers, not for its users;
# silenced by message so that importing the command line does not import Dagster.
warnings.filterwarnings("ignore", message=r".* is currently in (beta|preview)")

__all__ = ["entry", "main"]


def __getattr__(name: str) -> Any:
    if name == "main":
        from orchestration.cli.group import main

        return main
    raise AttributeError(name)


def entry() -> None:
    """The ``tickvault`` console script: the no-op answer, else ``main``; then a prompt exit.

    Tearing down an interpreter that has imported Dagster takes ~0.4 s (measured), 8% of a
    5M-trade import. Once the command is done — its transactions committed, its output flushed,
    the Dagster instance disposed — the process exits without that teardown. An unexpected
    exception still takes the normal path, traceback and all.
    """
    from orchestration.cli import unchanged

    try:
        code = unchanged.answer(sys.argv[1:])
    except KeyboardInterrupt:
        sys.stderr.write("Aborted!\n")
        code = 1
    if code is None:
        from orchestration.cli import group

        code = group.run()
    _release()
    os._exit(code)


def _release() -> None:
    runner = sys.modules.get("orchestration.runner")
    if runner is not None:
        runner.dispose()
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()

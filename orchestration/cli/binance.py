"""``tickvault binance``."""

from __future__ import annotations

import click


@click.group()
def binance() -> None:
    """(not yet available)"""

"""``tickvault kraken``."""

from __future__ import annotations

import click


@click.group()
def kraken() -> None:
    """(not yet available)"""

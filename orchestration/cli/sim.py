"""``tickvault sim``."""

from __future__ import annotations

import click


@click.group()
def sim() -> None:
    """(not yet available)"""

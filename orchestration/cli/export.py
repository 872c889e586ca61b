"""``tickvault export``."""

from __future__ import annotations

import click


@click.group()
def export() -> None:
    """(not yet available)"""

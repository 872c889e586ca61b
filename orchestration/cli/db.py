"""``tickvault db``: schema migrations and status."""

from __future__ import annotations

import click

from resources.database import PostgresResource


@click.group()
def db() -> None:
    """Database schema and status."""


@db.command()
def migrate() -> None:
    """Apply pending migrations (idempotent; also done before the first write)."""
    result = PostgresResource().migrate()
    click.echo(f"mode: {result.mode}")
    if result.applied:
        for name in result.applied:
            click.echo(f"applied {name}")
    else:
        click.echo("schema is up to date")


@db.command()
def status() -> None:
    """Storage mode, applied migrations, and row counts per table."""
    info = PostgresResource().status()
    click.echo(f"database: {info.url}")
    features = "hypertables, compression" if info.mode.value == "timescaledb" else "no hypertables"
    available = "available" if info.timescaledb_available else "not available"
    click.echo(f"mode: {info.mode.value} ({features}; TimescaleDB extension {available})")
    click.echo("migrations:")
    for version, name, variant, applied_at in info.migrations:
        click.echo(f"  {version} {name:<32} {variant:<12} {applied_at:%Y-%m-%d %H:%M:%S%z}")
    click.echo("rows:")
    for count in info.counts:
        approx = "" if count.exact else "  (estimate)"
        click.echo(f"  {count.table:<32} {count.rows:>14,}{approx}")

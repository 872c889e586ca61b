"""``python -m orchestration.cli``: the same as the ``tickvault`` command."""

from orchestration.cli import entry

entry()

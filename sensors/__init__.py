"""Sensors: watch the outside world and request runs."""

"""Binance USD-M futures: REST under ``/fapi`` and ``/futures/data``, archives under ``/data``.

Wire formats, parameters, limits, weights and error codes follow the real API; each handler's
docstring quotes the fixture in tests/fixtures/ it mirrors.
"""

from __future__ import annotations

import numpy as np

from simulator.noise import key_of, normal, uniform, value_noise


def test_draws_are_pure_functions_of_key_and_counter() -> None:
    counters = np.arange(10_000, dtype=np.int64)
    assert np.array_equal(uniform(1, counters), uniform(1, counters))
    assert not np.array_equal(uniform(1, counters), uniform(2, counters))
    assert np.array_equal(uniform(1, counters)[5000:5010], uniform(1, counters[5000:5010]))
    u = uniform(key_of("x"), counters)
    assert u.min() > 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    g = normal(key_of("y"), counters)
    assert abs(g.mean()) < 0.05 and abs(g.std() - 1.0) < 0.05


def test_value_noise_is_the_same_whether_asked_densely_or_sparsely() -> None:
    key = key_of("noise")
    dense = np.arange(0, 600_000, 7_000, dtype=np.int64) + 1_700_000_000_000
    sparse = dense[::40]  # far apart: takes the per-point hashing branch
    assert np.array_equal(value_noise(key, dense, 60_000)[::40], value_noise(key, sparse, 60_000))
    on_lattice = value_noise(key, np.array([120_000, 180_000], dtype=np.int64), 60_000)
    assert np.array_equal(on_lattice, normal(key, np.array([2, 3], dtype=np.int64)))


def test_keys_are_stable_across_runs() -> None:
    # Python's hash() is salted per process; key_of must not be.
    assert key_of(42, "path", "BTC", 0) == key_of(42, "path", "BTC", 0)
    assert key_of("a", "b") != key_of("ab")

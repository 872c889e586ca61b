from datetime import UTC, datetime

from resources.binance_futures.store import Coverage, merge_coverage


def at(day: int) -> datetime:
    return datetime(2024, 4, day, tzinfo=UTC)


def test_touching_ranges_merge() -> None:
    assert merge_coverage(Coverage(at(1), at(5)), Coverage(at(5), at(9))) == Coverage(at(1), at(9))
    assert merge_coverage(Coverage(at(3), at(9)), Coverage(at(1), at(4))) == Coverage(at(1), at(9))
    assert merge_coverage(None, Coverage(at(2), at(3))) == Coverage(at(2), at(3))


def test_disjoint_ranges_keep_the_later() -> None:
    stored = Coverage(at(10), at(20))
    assert merge_coverage(stored, Coverage(at(1), at(4))) == stored
    assert merge_coverage(Coverage(at(1), at(4)), stored) == stored

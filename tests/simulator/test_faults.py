from __future__ import annotations

import pytest

from simulator.faults import FaultRule, Faults


def test_count_rules_fire_exactly_n_times_on_matching_paths() -> None:
    faults = Faults(42, [FaultRule("error", path="/fapi/v1/klines", count=2)])
    assert faults.decide("/fapi/v1/ping").action is None
    assert [faults.decide("/fapi/v1/klines").action is not None for _ in range(4)] == [
        True, True, False, False,
    ]
    assert faults.rules()[0].count == 0


def test_rates_are_reproducible_after_setting_the_rules() -> None:
    faults = Faults(7)
    pattern = []
    for _ in range(2):
        faults.set([{"kind": "drop", "rate": 0.3}])
        pattern.append([faults.decide("/x").action is not None for _ in range(200)])
    assert pattern[0] == pattern[1]
    assert 30 < sum(pattern[0]) < 90


def test_delays_add_up_and_the_first_other_rule_wins() -> None:
    faults = Faults(
        1,
        [
            FaultRule("delay", delay=0.1),
            FaultRule("delay", delay=0.2, path="/a"),
            FaultRule("truncate", path="/a"),
            FaultRule("error", status=500),
        ],
    )
    decision = faults.decide("/a/b")
    assert decision.delay == pytest.approx(0.3)
    assert decision.action is not None and decision.action.kind == "truncate"
    other = faults.decide("/b")
    assert other.delay == pytest.approx(0.1)
    assert other.action is not None and other.action.kind == "error"


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "explode"},
        {"kind": "error", "status": 404},
        {"kind": "drop", "rate": 2},
        {"kind": "drop", "count": -1},
        {"kind": "drop", "bogus": 1},
    ],
)
def test_invalid_rules_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultRule.from_json(bad)

"""The shipped rules against the labelled evaluation sets.

``tests/data/classify`` (239 mails) and ``tests/data/classify-fresh`` (130 mails) have been tuned against
as a whole (the fresh set's held-out half is retired); so has the ``dev`` half of
``tests/data/classify-third``. Its ``heldout`` half (73 mails) has not, and measures the rules.
``bench/classify.py --accuracy --data tests/data/classify-third --split heldout`` prints the same figures
with the confusion matrices (and refuses ``--errors`` there).
"""

import importlib.util
import sys
from pathlib import Path

import pytest

from mailbot.resources import shipped
from mailbot.rules import load_rules

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "classify"
FRESH = ROOT / "tests" / "data" / "classify-fresh"
THIRD = ROOT / "tests" / "data" / "classify-third"
# Severity and scope right together on the third set's held-out half. The target is 0.90 and is
# NOT met: measured once after tuning, the rules reach 0.863 (63 of 73; 0.822 before the tuning). This
# floor, the measured figure rounded down to the percent, keeps them from slipping.
MARK = 0.86


def _bench():
    spec = importlib.util.spec_from_file_location("bench_classify", ROOT / "bench" / "classify.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    if not (THIRD / "labels.toml").is_file():
        pytest.skip(f"the labelled evaluation set is not here ({THIRD}/labels.toml): nothing to measure")
    return _bench()


def test_shipped_rules_reach_the_mark_on_the_third_held_out_half(bench):
    heldout = bench.select(bench.load_labels(THIRD), "heldout")
    assert len(heldout) >= 70, "the held-out half is smaller than the set promises"
    acc = bench.evaluate(load_rules(shipped("rules")), heldout)
    # Only the figures, never which mails: the held-out half is not for writing rules.
    assert acc.together >= MARK, acc.report()


# What the tuning reached on the sets it was done against (100 %, 98.5 % and 98.7 %), a little lower.
@pytest.mark.parametrize("data, split, floor", [(DATA, "all", 0.99), (FRESH, "all", 0.97), (THIRD, "dev", 0.97)])
def test_shipped_rules_keep_what_the_tuning_reached(bench, data, split, floor):
    acc = bench.evaluate(load_rules(shipped("rules")), bench.select(bench.load_labels(data), split))
    assert acc.together >= floor, acc.report()


@pytest.mark.parametrize("data", [DATA, FRESH, THIRD])
def test_both_halves_cover_every_severity_and_scope(bench, data):
    labelled = bench.load_labels(data)
    for split in ("dev", "heldout"):
        half = bench.select(labelled, split)
        assert {m.severity for m in half} == {"critica", "grave", "leve"}, split
        assert {m.out_of_scope for m in half} == {True, False}, split
        assert all(m.path.is_file() for m in half), split


def test_errors_are_refused_on_a_live_held_out_half(bench):
    assert bench.errors_allowed(THIRD, "dev")
    assert not bench.errors_allowed(THIRD, "heldout")
    assert not bench.errors_allowed(THIRD, "all")
    assert bench.errors_allowed(FRESH, "heldout")
    assert bench.errors_allowed(DATA, "all")

"""The shipped rules against the labelled evaluation set (tests/data/classify), held-out half.

The rules were written against the dev half only; the held-out half measures
them. ``bench/classify.py --accuracy --split heldout`` prints the same figures
with the confusion matrices.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

from mailbot.resources import shipped
from mailbot.rules import load_rules

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "classify"
# Severity and scope right together. The target is 0.90; the rules written against the
# dev half measure 0.891 (106 of 119) here. This floor keeps them from slipping while the last
# points are sought on a fresh held-out set (tuning on this one would end its use as held-out).
MARK = 0.89


def _bench():
    spec = importlib.util.spec_from_file_location("bench_classify", ROOT / "bench" / "classify.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    if not (DATA / "labels.toml").is_file():
        pytest.skip(f"the labelled evaluation set is not here ({DATA}/labels.toml): nothing to measure")
    return _bench()


def test_shipped_rules_reach_the_mark_on_the_held_out_half(bench):
    heldout = bench.select(bench.load_labels(DATA), "heldout")
    assert len(heldout) >= 100, "the held-out half is smaller than the set promises"
    acc = bench.evaluate(load_rules(shipped("rules")), heldout)
    # Only the figures, never which mails: the held-out half is not for writing rules.
    together = acc.together
    assert together >= MARK, acc.report()


def test_both_halves_cover_every_severity_and_scope(bench):
    labelled = bench.load_labels(DATA)
    for split in ("dev", "heldout"):
        half = bench.select(labelled, split)
        assert {m.severity for m in half} == {"critica", "grave", "leve"}, split
        assert {m.out_of_scope for m in half} == {True, False}, split
        assert all(m.path.is_file() for m in half), split

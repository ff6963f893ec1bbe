"""The at-a-glance figure's points: measured rows, the official protocol's, the paper's."""

from __future__ import annotations

import pytest

from search.report.glance import errors_points
from search.report.protocol import ProtocolResult
from search.report.readers.retrain_reader import RetrainRow


def _official(study: str, trial: int, errors: tuple[int, ...]) -> ProtocolResult:
    n = len(errors)
    row = RetrainRow("gan", study, trial, "official", "a181b114b34e", 100, "varied per run",
                     n, 0.99, 0.99, 0.98, 1.0, sum(errors) / n, 1.0, 10_000, errors, 60.0)
    return ProtocolResult(row, welch_p=None, ensemble=None)


def test_each_protocol_group_is_named_by_its_configuration() -> None:
    points = errors_points([], [_official("gan-reference", -1, (94, 118, 87, 236, 93)),
                                _official("gan-levers", 44, (91, 104, 91, 104, 89))])
    measured = [p for p in points if p[4] == "measured"]
    assert [p[0] for p in measured] == ["gan (reference), official protocol (n=5)",
                                        "gan (gan-levers#44), official protocol (n=5)"]
    # Mean and Student-t interval of the errors, as worked by hand for the second.
    assert measured[1][1] == pytest.approx(95.8)
    assert measured[1][2] == pytest.approx(95.8 - 2.776445 * 7.5299 / 5 ** 0.5, abs=0.01)
    assert any(p[0].startswith("paper: ") and p[4] == "paper" for p in points)

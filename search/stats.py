"""Statistics of repeated runs: mean, sample std, Student-t confidence interval, and the
two paired tests of one configuration against another over the same labeled draws."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Summary", "paired_p", "signed_rank_floor", "signed_rank_p", "summarize"]


@dataclass(frozen=True)
class Summary:
    """Mean, sample std and confidence interval of a set of runs."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float
    confidence: float = 0.95


def summarize(values: Sequence[float], confidence: float = 0.95) -> Summary:
    """Student-t summary with n-1 degrees of freedom; std and CI are NaN below two values."""
    arr = np.asarray(values, dtype=float)
    n = int(arr.size)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, confidence)
    mean = float(arr.mean())
    if n < 2:
        return Summary(n, mean, math.nan, math.nan, math.nan, confidence)
    std = float(arr.std(ddof=1))
    if std == 0.0:
        return Summary(n, mean, 0.0, mean, mean, confidence)
    low, high = stats.t.interval(confidence, df=n - 1, loc=mean, scale=std / math.sqrt(n))
    return Summary(n, mean, std, float(low), float(high), confidence)


def paired_p(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Two-sided paired t-test of ``first`` against ``second``, pair by pair; ``None``
    under 2 pairs or when every difference is the same (the test is undefined)."""
    diffs = [a - b for a, b in zip(first, second, strict=True)]
    if len(diffs) < 2 or len(set(diffs)) == 1:
        return None
    return float(stats.ttest_rel(first, second).pvalue)


def signed_rank_p(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Two-sided Wilcoxon signed-rank test of ``first`` against ``second``, pair by pair;
    ``None`` under 2 pairs that differ (equal pairs are dropped, as Wilcoxon did).

    The t-test reads a mean difference against its spread, so one draw far off (the paper
    setting's 236 errors on draw 3) widens the spread and hides a consistent lead; ranks
    do not let one pair weigh more than its rank.
    """
    diffs = [a - b for a, b in zip(first, second, strict=True)]
    if sum(d != 0 for d in diffs) < 2:
        return None
    return float(stats.wilcoxon(diffs).pvalue)


def signed_rank_floor(n_pairs: int) -> float:
    """The smallest two-sided p the signed-rank test can give on ``n_pairs`` pairs that
    differ: every pair on one side, 2 of the 2**n equally likely sign patterns."""
    return 2.0 / 2**n_pairs

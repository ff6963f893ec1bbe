"""The comparison report: ``REPORT.md`` and ``report.html`` over every study in a database.

Main table (baseline first, one row per method): trials finished/pruned/failed, best
validation accuracy, retrained test accuracy with its 95 % Student-t interval, test errors
out of 10,000, the difference to the baseline with Welch's t-test, compute hours. Then what
each result cost (optimiser steps per run; hours of search, selection and retrains; test
errors against compute hours) and the winner-selection table. Beside them the paper
anchors, quoted from Salimans et al. 2016 (not measured here); the label sweeps, one per
profile, beside the paper's. Then per study: validation accuracy against every
hyperparameter, width x depth contour, hyperparameter importances, optimisation history,
intermediate values (where pruning cut trials); a best-so-far comparison where a method
was searched with several samplers; the GAN's generated digits.
The HTML loads plotly's JavaScript from ``plots/`` (no CDN, works offline), the copy its
interactive pages share; the markdown embeds PNG renderings so it reads on a repository
page.
"""

from search.report.figures import sampler_figure, study_figures
from search.report.pages import write_report
from search.report.sweep import PAPER_LABEL_SWEEP, label_sweeps, sweep_figure
from search.report.tables import (
    BASELINE,
    PAPER_ANCHORS,
    MethodRow,
    method_rows,
)

__all__ = ["BASELINE", "PAPER_ANCHORS", "PAPER_LABEL_SWEEP", "MethodRow", "label_sweeps",
           "method_rows", "sampler_figure", "study_figures", "sweep_figure", "write_report"]

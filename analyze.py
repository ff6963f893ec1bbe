#!/usr/bin/env python
"""Centralised results of every ssl-hpo study in a database.

Writes under ``--out``: ``REPORT.md`` and ``report.html`` (methods compared with the
baseline, paper anchors, per-study plots), ``summary.md``, ``studies.csv``, ``retrain.csv``
and ``plots/``. Thin entry point over ``search/analysis.py`` and ``search/report.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from search.analysis import collect, retrain_rows, write_tables
from storage import DEFAULT_STORAGE, StorageError, check_folder, mask_url


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="analyze.py",
        description="Report, tables and plots of the ssl-hpo studies and retrain runs.",
    )
    parser.add_argument("--storage", default=DEFAULT_STORAGE,
                        help=f"SQLAlchemy URL of the study database (default {DEFAULT_STORAGE})")
    parser.add_argument("--out", default="results", help="output folder (default results/)")
    parser.add_argument("--method", default=None, help="only studies of this method")
    parser.add_argument("--study", default=None, help="only this study")
    parser.add_argument("--no-plots", action="store_true", help="tables only, no report")
    args = parser.parse_args(argv)
    try:
        check_folder(args.out, "--out")
        studies, rows = collect(args.storage, method=args.method, study=args.study)
    except StorageError as exc:
        print(f"analyze.py: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    retrains = retrain_rows(args.storage, [s.study_name for s in studies])
    print(f"storage {mask_url(args.storage)}")
    print(write_tables(out, rows, retrains))
    if not args.no_plots:
        from search.report import method_rows, write_report

        written = write_report(out, studies, rows, method_rows(rows, retrains), retrains,
                               storage_url=args.storage)
        print(f"wrote {written['md']}, {written['html']} and {len(written['plots'])} plot "
              f"files in {out / 'plots'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

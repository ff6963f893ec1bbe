#!/usr/bin/env python
"""Summarise every ssl-hpo study in a database: tables (markdown, CSV) and plots.

Thin entry point over ``search/analysis.py``; see ``python analyze.py --help``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from search.analysis import collect, retrain_rows, write_plots, write_tables
from storage import DEFAULT_STORAGE, StorageError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="analyze.py",
        description="Tables and plots of the ssl-hpo studies and retrain runs in a database.",
    )
    parser.add_argument("--storage", default=DEFAULT_STORAGE,
                        help=f"SQLAlchemy URL of the study database (default {DEFAULT_STORAGE})")
    parser.add_argument("--out", default="results", help="output folder (default results/)")
    parser.add_argument("--method", default=None, help="only studies of this method")
    parser.add_argument("--study", default=None, help="only this study")
    parser.add_argument("--no-plots", action="store_true", help="tables only")
    args = parser.parse_args(argv)
    try:
        studies, rows = collect(args.storage, method=args.method, study=args.study)
    except StorageError as exc:
        print(f"analyze.py: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    print(write_tables(out, rows, retrain_rows(args.storage, [s.study_name for s in studies])))
    plots = [] if args.no_plots else write_plots(out, studies)
    print(f"wrote {out / 'summary.md'}, studies.csv, retrain.csv and {len(plots)} plots "
          f"in {out / 'plots'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

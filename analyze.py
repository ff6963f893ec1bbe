#!/usr/bin/env python
"""Centralised results of every ssl-hpo study in one or more databases.

Writes under ``--out``: ``REPORT.md`` and ``report.html`` (methods compared with the
baseline, paper anchors, the paper's protocol measured, per-study plots), ``summary.md``,
``studies.csv``, ``retrain.csv`` and ``plots/``. Thin entry point over
``search/report/readers/study_reader.py`` and ``search/report/``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from search.report.readers.study_reader import EmptyStorage, collect, retrain_rows, write_tables
from search.report.readers.selection_reader import selection_groups
from storage import DEFAULT_STORAGE, StorageError, check_paths, mask_url

# Every path flag of analyze.py and what it is for (``storage.paths``).
PATH_FLAGS = {"--out": "folder to write", "--data-dir": "folder to read",
              "--curve-log": "file to read"}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``analyze.py``."""
    parser = argparse.ArgumentParser(
        prog="analyze.py",
        description="Report, tables and plots of the ssl-hpo studies and retrain runs.",
    )
    parser.add_argument("--storage", action="append", default=None,
                        help="SQLAlchemy URL of a study database; repeat it to report on "
                             f"several databases together (default {DEFAULT_STORAGE})")
    parser.add_argument("--out", default="results", help="output folder (default results/)")
    parser.add_argument("--method", default=None, help="only studies of this method")
    parser.add_argument("--study", default=None,
                        help="only this study (leaves out reference retrains)")
    parser.add_argument("--data-dir", default=None,
                        help="MNIST folder whose test labels score ensembles of saved "
                             "softmax outputs (default $MNIST_DIR, else keras)")
    parser.add_argument("--curve-log", action="append", default=[], type=Path,
                        help="log of benchmarks/gan_paper_seeds.py whose per-epoch test "
                             "errors are drawn beside the official-protocol curve")
    parser.add_argument("--no-plots", action="store_true", help="tables only, no report")
    parser.add_argument("--screenshot", action="store_true",
                        help="render report.html in headless Chromium (every plot drawn, "
                        "no JavaScript error) and save it as report.png")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    urls = args.storage or [DEFAULT_STORAGE]
    try:
        check_paths(args, PATH_FLAGS)
        # Reference retrains (trial -1) belong to a method, not to a study.
        references = (set() if args.study else None if args.method is None
                      else {args.method})
        studies, rows, retrains, selections = [], [], [], []
        study_urls: dict[str, str] = {}
        for url in urls:
            try:
                found, found_rows = collect(url, method=args.method, study=args.study)
            except EmptyStorage as exc:
                if len(urls) == 1:
                    raise
                # Among several databases, one with nothing to report yet (a campaign
                # whose first run has not finished) leaves the others' report intact.
                print(f"analyze.py: skipped: {exc}", file=sys.stderr)
                continue
            for s in found:
                # Plots, retrain runs and selections are keyed by study name: two studies
                # of one name would overwrite each other and share each other's retrains.
                if s.study_name in study_urls:
                    raise StorageError(
                        f"study {s.study_name!r} is in {mask_url(study_urls[s.study_name])} "
                        f"and in {mask_url(url)}; report them apart (one --storage each, "
                        "or --study)")
                study_urls[s.study_name] = url
            studies += found
            rows += found_rows
            retrains += retrain_rows(url, [s.study_name for s in found], references)
            selections += selection_groups(url, found, {(r.study, r.trial) for r in retrains})
        if not args.no_plots:
            from search.report.protocol import protocol_results, read_epoch_log, test_labels

            # Before anything is written: bad data leaves no half-written report.
            protocol = protocol_results(retrains, lambda: test_labels(args.data_dir))
        if not (studies or retrains):
            raise StorageError("nothing to report in " + ", ".join(map(mask_url, urls)))
    except StorageError as exc:
        print(f"analyze.py: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    print("storage " + ", ".join(mask_url(u) for u in urls))
    print(write_tables(out, rows, retrains))
    if not args.no_plots:
        from search.report import method_rows, write_report
        from search.report.ablation import ablations

        beside = {log.stem: read_epoch_log(log) for log in args.curve_log}
        ablated = [a for a in ablations(urls) if a.study in study_urls]
        written = write_report(out, studies, rows, method_rows(rows, retrains, selections),
                               retrains,
                               study_urls=study_urls, protocol=protocol, beside_curves=beside,
                               ablations=ablated)
        print(f"wrote {written['md']}, {written['html']} and {len(written['plots'])} plot "
              f"files in {out / 'plots'}")
        if args.screenshot:
            from search.report.browser import render

            try:
                seen = render(written["html"], out / "report.png")
            except RuntimeError as exc:
                print(f"analyze.py: error: {exc}", file=sys.stderr)
                return 2
            if seen.errors or seen.drawn < seen.expected:
                print(f"analyze.py: error: report.html drew {seen.drawn} of {seen.expected} "
                      f"plots; errors: {'; '.join(seen.errors)}", file=sys.stderr)
                return 1
            print(f"wrote {out / 'report.png'} ({seen.drawn} plots drawn in Chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

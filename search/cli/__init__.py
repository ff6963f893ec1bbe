"""The command line of ``run_study.py``: ``main`` parses and checks the arguments, then
hands the work to one command module (search, retrain, with selection and calibration as
their steps); ``common`` holds what the commands share."""

from search.cli.common import (
    UsageError, check_feasible, checkpoint_dir, load_named_study, set_threads, stopped_by)
from search.cli.main import main
from search.cli.parser import PATH_FLAGS, build_parser

__all__ = ["PATH_FLAGS", "UsageError", "build_parser", "check_feasible", "checkpoint_dir",
           "load_named_study", "main", "set_threads", "stopped_by"]

"""What the report reads from a database, TensorFlow-free: one row per study
(``study_reader``), the retrain runs grouped per configuration (``retrain_reader``), and the
selections' candidates (``selection_reader``)."""

from search.report.readers.retrain_reader import (
    RetrainRow, RunRecord, ensemble_errors, mean_steps, repeats_note, retrain_rows)
from search.report.readers.selection_reader import SelectionGroup, mark_checks, selection_groups
from search.report.readers.study_reader import EmptyStorage, StudyRow, collect, write_tables

__all__ = ["EmptyStorage", "RetrainRow", "RunRecord", "SelectionGroup", "StudyRow", "collect",
           "ensemble_errors", "mark_checks", "mean_steps", "repeats_note", "retrain_rows",
           "selection_groups", "write_tables"]

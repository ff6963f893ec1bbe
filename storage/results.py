"""Retrain results: one row per retraining run, in the same database as the studies.

Table ``ssl_hpo_retrain_runs`` (created on first write, never on read):

=============== ===========================================================
column          meaning
=============== ===========================================================
id              row id
created_at      UTC time the run finished
study_name      study the configuration came from
method          method name
source_trial    trial number of the configuration in that study
params          the hyperparameters, JSON
profile         training budget used
n_labeled       labeled images
seed            model seed of this run
data_seed       seed of the labeled subset of this run
vary_labeled    1 if the labeled subset changed with the run seed
val_accuracy    accuracy on the 10,000 validation images
test_accuracy   accuracy on the 10,000 test images
test_errors     misclassified test images (out of ``test_size``)
test_size       number of test images
epochs          epochs run (early stopping on validation)
seconds         wall time of the run
notes           what the run recorded, JSON: the method's notes (cache hit, sample grid
                path, steps, curves, the ``cpu`` that trained it) and the selection
                profile it followed (``selected_at``)
budget          fingerprint of the profile's values (``Budget.fingerprint``); empty in
                rows written before it existed
=============== ===========================================================
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from storage.urls import create_engine

__all__ = ["RETRAIN_TABLE", "RetrainRun", "RetrainStore", "run_table"]

_METADATA = sa.MetaData()


def run_table(name: str, *own: sa.Column) -> sa.Table:
    """A table of runs: the columns every run table shares (which configuration of which
    study, when, at what cost), around the table's ``own``."""
    return sa.Table(
        name,
        _METADATA,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("study_name", sa.String(512), nullable=False, index=True),
        sa.Column("method", sa.String(64), nullable=False, index=True),
        sa.Column("source_trial", sa.Integer, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        *own,
        sa.Column("epochs", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("notes", sa.Text, nullable=False, default="{}"),
    )


RETRAIN_TABLE = run_table(
    "ssl_hpo_retrain_runs",
    sa.Column("n_labeled", sa.Integer, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("data_seed", sa.Integer, nullable=False),
    sa.Column("vary_labeled", sa.Boolean, nullable=False),
    sa.Column("val_accuracy", sa.Float, nullable=False),
    sa.Column("test_accuracy", sa.Float, nullable=False),
    sa.Column("test_errors", sa.Integer, nullable=False),
    sa.Column("test_size", sa.Integer, nullable=False),
    # Added after the first results were stored: nullable, and filled in on upgrade.
    sa.Column("budget", sa.String(64), nullable=True),
)


@dataclass(frozen=True)
class RetrainRun:
    """One retraining run of a searched configuration."""

    study_name: str
    method: str
    source_trial: int
    params: Mapping[str, Any]
    profile: str
    n_labeled: int
    seed: int
    data_seed: int
    vary_labeled: bool
    val_accuracy: float
    test_accuracy: float
    test_errors: int
    test_size: int
    epochs: int
    seconds: float
    notes: Mapping[str, Any] = field(default_factory=dict)
    budget: str = ""


class RunStore:
    """Reads and writes one table of runs at a storage URL; subclasses name the table,
    the record type and the fields that identify a run.

    Args:
        url: SQLAlchemy URL of the study database.
    """

    table: sa.Table
    record: type
    key: tuple[str, ...]

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)

    def ensure_schema(self) -> None:
        """Creates the table, or adds the columns newer versions introduced to an older one.

        Safe against a concurrent worker doing the same: a CREATE or ALTER that loses the
        race fails, and what the winner made is checked instead. Callers that start
        workers create it once beforehand.
        """
        try:
            self._create_or_upgrade()
        except sa.exc.DBAPIError:
            self.engine.dispose()  # the failed DDL may leave its connection unusable
            if self._missing_columns() != []:
                raise

    def _missing_columns(self) -> list[str] | None:
        """Columns the table lacks; ``None`` if there is no table."""
        inspector = sa.inspect(self.engine)
        if not inspector.has_table(self.table.name):
            return None
        present = {c["name"] for c in inspector.get_columns(self.table.name)}
        return [c.name for c in self.table.columns if c.name not in present]

    def _create_or_upgrade(self) -> None:
        missing = self._missing_columns()
        if missing is None:
            _METADATA.create_all(self.engine, tables=[self.table])
            return
        with self.engine.begin() as conn:
            for name in missing:
                kind = self.table.columns[name].type.compile(self.engine.dialect)
                conn.exec_driver_sql(
                    f"ALTER TABLE {self.table.name} ADD COLUMN {name} {kind}")

    def add(self, run: Any) -> None:
        """Appends ``run``, creating (or upgrading) the table on first use."""
        self.ensure_schema()
        row = asdict(run)
        row["params"] = json.dumps(dict(run.params), sort_keys=True)
        row["notes"] = json.dumps(dict(run.notes), sort_keys=True, default=str)
        row["created_at"] = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        with self.engine.begin() as conn:
            conn.execute(self.table.insert().values(**row))

    def runs(
        self, method: str | None = None, study_name: str | None = None
    ) -> list[dict[str, Any]]:
        """All stored runs (oldest first), optionally filtered; empty if none were stored."""
        missing = self._missing_columns()
        if missing is None:
            return []
        if missing:
            self.ensure_schema()
        query = sa.select(self.table).order_by(self.table.c.id)
        if method is not None:
            query = query.where(self.table.c.method == method)
        if study_name is not None:
            query = query.where(self.table.c.study_name == study_name)
        with self.engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        for row in rows:
            row["budget"] = row["budget"] or ""
            row["params"] = json.loads(row["params"])
            row["notes"] = json.loads(row["notes"] or "{}")
        return rows

    def find(self, like: Any) -> Any | None:
        """The stored run with ``like``'s configuration and :attr:`key` fields, if any.

        Matching ignores the measured fields, so an interrupted command can be rerun and
        only the missing runs are trained again. The key includes the profile's
        fingerprint: runs made before a profile was retuned are not reused.
        """
        for row in self.runs(like.method, like.study_name):
            if all(row[k] == getattr(like, k) for k in self.key) and row["params"] == dict(
                like.params
            ):
                return self.record(**{f: row[f] for f in self.record.__dataclass_fields__})
        return None


class RetrainStore(RunStore):
    """Retrain runs (scored on the test set): :data:`RETRAIN_TABLE`."""

    table = RETRAIN_TABLE
    record = RetrainRun
    key = ("source_trial", "profile", "budget", "n_labeled", "seed", "data_seed",
           "vary_labeled")

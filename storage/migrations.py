"""Restating a profile without changing what its stored runs computed.

A profile's fingerprint (``Budget.fingerprint``) keys every stored run, so that runs of a
retuned profile are never reused. A profile is sometimes restated instead: ``official``
now says "600 steps per epoch" outright, so that a configuration with another batch gets
the protocol's 180,000 steps, and for the batch of 100 over 60,000 images that is what
"one pass per epoch" made already. The fingerprint changes with the statement; the runs
under the old one would no longer be reused or paired with the new ones.
:func:`restate_budget` moves them to the new fingerprint, those that pass the caller's
check that they computed what the restated profile computes, and records the move in
each run's notes (``restated``: the old fingerprint and why). The retrain command applies
the restatements ``objectives.profiles`` declares for its profile before it looks for
stored runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from storage.results import RetrainStore

__all__ = ["restate_budget"]


def restate_budget(url: str, method: str, profile: str, old: str, new: str, why: str,
                   same: Callable[[Mapping[str, Any]], bool]) -> int:
    """Moves ``method``'s retrain runs of ``profile`` stored under fingerprint ``old`` to
    ``new``, those whose parameters pass ``same``; the others stay, as runs of a retuned
    profile do, and are no longer reused.

    Args:
        url: The database.
        method: The method whose runs move (fingerprints are per method).
        profile: The profile's name.
        old: The fingerprint the runs were stored under.
        new: The restated profile's fingerprint.
        why: Recorded with each moved run.
        same: Whether a run with these parameters computed under ``old`` what ``new``
            computes.

    Returns:
        How many runs moved: 0 once none is left under ``old``, so it may run every time.
    """
    store = RetrainStore(url)
    rows = [r for r in store.runs(method) if r["profile"] == profile
            and r["budget"] == old and same(r["params"])]
    table = store.table
    with store.engine.begin() as conn:
        for row in rows:
            notes = {**row["notes"], "restated": {"from": old, "why": why}}
            conn.execute(sa.update(table).where(table.c.id == row["id"]).values(
                budget=new, notes=json.dumps(notes, sort_keys=True, default=str)))
    return len(rows)

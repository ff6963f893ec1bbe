"""Search spaces as data: parsing, validation, conditions, constraints, sampling and grids.

A method's space is a plain mapping ``{parameter name: spec}`` where each spec is a dict with
a ``kind`` ("float", "int" or "categorical"), the kind's fields, and optionally ``when``:
``{earlier parameter: value or list of values}``, the condition under which the parameter
exists (e.g. the conv encoder's parameters only when ``preset`` is ``conv``). A trial
samples and stores only its active parameters; :meth:`SearchSpace.resolve` fills the
inactive ones with their first grid value for the model builders.

Constraints are named functions of the active parameters returning a violation (> 0:
infeasible), e.g. a feature map that shrinks below one pixel. They are part of the space,
so the objective can refuse a proposal before building anything and tell the sampler why.

:func:`spaces.parse.parse_space` turns a spec into a validated :class:`SearchSpace`;
:meth:`SearchSpace.suggest` is the one function the samplers see, and
:meth:`SearchSpace.grid_points` the one the grid sampler sees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.distributions import BaseDistribution

from spaces.params import (
    CategoricalParam,
    FloatParam,
    IntParam,
    Param,
    Scalar,
    SpaceError,
)

__all__ = [
    "CategoricalParam",
    "Constraint",
    "FloatParam",
    "IntParam",
    "Param",
    "SearchSpace",
    "SpaceError",
]


@dataclass(frozen=True)
class Constraint:
    """A feasibility rule over the parameters in ``needs``.

    Attributes:
        name: Short name, stored as the trial's constraint key.
        needs: Parameters the rule reads; it applies only to trials where all are active.
        violation: Returns how far ``params`` violate the rule (> 0 infeasible).
        reason: Says why a violating configuration cannot be built.
    """

    name: str
    needs: tuple[str, ...]
    violation: Callable[[Mapping[str, Any]], float]
    reason: Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class SearchSpace:
    """A validated, ordered collection of parameters, their conditions and constraints.

    Attributes:
        name: The space's name (normally the method's name).
        params: The parameters in the order they are suggested.
        conditions: Per conditional parameter, the allowed values of earlier parameters.
        constraints: Feasibility rules.
    """

    name: str
    params: tuple[Param, ...]
    conditions: Mapping[str, Mapping[str, tuple[Scalar, ...]]] = field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()

    def active(self, name: str, values: Mapping[str, Any]) -> bool:
        """Whether parameter ``name`` exists given the earlier ``values``."""
        return all(values.get(k) in allowed
                   for k, allowed in self.conditions.get(name, {}).items())

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Samples the active parameters through ``trial`` and returns them."""
        values: dict[str, Any] = {}
        for param in self.params:
            if self.active(param.name, values):
                values[param.name] = param.suggest(trial)
        return values

    def resolve(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` completed with every inactive parameter's first grid value, which no
        model reads, so that builders can index any parameter. Values given are kept."""
        out = dict(values)
        for param in self.params:
            out.setdefault(param.name, param.grid[0])
        return out

    def active_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The entries of ``values`` that are active parameters under ``values`` (a
        configuration stored before a parameter became conditional keeps it otherwise)."""
        out: dict[str, Any] = {}
        for param in self.params:
            if param.name in values and self.active(param.name, out):
                out[param.name] = values[param.name]
        return out

    def point(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The active parameters a trial of ``values`` stores, each parameter ``values``
        lacks at its first grid value: a reference written before a parameter existed
        enqueues as what it meant, the parameter's first (official) value."""
        return self.active_values(self.resolve(values))

    def violations(self, values: Mapping[str, Any]) -> dict[str, float]:
        """Each applicable constraint's violation (> 0: infeasible); a constraint applies
        when all the parameters it reads are active."""
        active = self.active_values(values)
        return {c.name: float(c.violation(active)) for c in self.constraints
                if all(n in active for n in c.needs)}

    def infeasibility(self, values: Mapping[str, Any]) -> str | None:
        """Why ``values`` cannot be built, ``None`` if they can."""
        active = self.active_values(values)
        for c in self.constraints:
            if all(n in active for n in c.needs) and c.violation(active) > 0:
                return c.reason(active)
        return None

    def distributions(self, values: Mapping[str, Any] | None = None
                      ) -> dict[str, BaseDistribution]:
        """The Optuna distribution of every parameter, or of those in ``values`` (as
        ``optuna.trial.create_trial`` wants them for one configuration)."""
        return {param.name: param.distribution() for param in self.params
                if values is None or param.name in values}

    def grid_points(self) -> list[dict[str, Scalar]]:
        """Every distinct grid configuration: the product of the active parameters' grids,
        branch by branch, so an inactive parameter never multiplies the grid. Points that
        violate a constraint are left out."""
        points: list[dict[str, Scalar]] = [{}]
        for param in self.params:
            grown: list[dict[str, Scalar]] = []
            for point in points:
                if self.active(param.name, point):
                    grown += [{**point, param.name: v} for v in param.grid]
                else:
                    grown.append(point)
            points = grown
        return [p for p in points if self.infeasibility(p) is None]

    def grid(self) -> dict[str, list[Scalar]]:
        """Each parameter's grid values (the grid is :meth:`grid_points`)."""
        return {param.name: list(param.grid) for param in self.params}

    def grid_size(self) -> int:
        """Number of grid points."""
        return len(self.grid_points())

    def names(self) -> list[str]:
        return [param.name for param in self.params]

    def parse_fixed(self, texts: Sequence[str]) -> dict[str, Scalar]:
        """``NAME=VALUE`` texts as parameter values the space allows, e.g. to search a
        baseline with ``augment=False`` held fixed.

        Raises:
            SpaceError: On a malformed text, an unknown name or a value out of the space.
        """
        by_name = {p.name: p for p in self.params}
        fixed: dict[str, Scalar] = {}
        for text in texts:
            name, sep, raw = text.partition("=")
            param = by_name.get(name.strip())
            if not sep or param is None:
                raise SpaceError(f"cannot fix {text!r}: expected NAME=VALUE with NAME one of "
                                 f"{self.names()}")
            choices = getattr(param, "choices", None)
            if choices is not None:
                match = [c for c in choices if str(c) == raw.strip()]
                if not match:
                    raise SpaceError(f"cannot fix {name}={raw}: not among {list(choices)}")
                fixed[param.name] = match[0]
                continue
            numeric: FloatParam | IntParam = param  # type: ignore[assignment]  # no choices: a range
            try:
                value = type(numeric.low)(raw)
            except ValueError:
                raise SpaceError(f"cannot fix {name}={raw}: not a number") from None
            if not numeric.low <= value <= numeric.high:
                raise SpaceError(f"cannot fix {name}={raw}: outside [{numeric.low}, "
                                 f"{numeric.high}]")
            fixed[param.name] = value
        return fixed

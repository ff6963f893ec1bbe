"""Search-space parameters: one type per kind ("float", "int", "categorical"), each with its
Optuna distribution, its sampler-facing ``suggest`` and its grid, and one parser per kind
chosen by a table rather than a branch on the kind."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = ["PARSERS", "CategoricalParam", "FloatParam", "IntParam", "Param", "Scalar",
           "SpaceError"]

Scalar = Union[int, float, str, bool, None]


class SpaceError(ValueError):
    """Raised when a search space specification is invalid."""


@dataclass(frozen=True)
class FloatParam:
    """A continuous parameter in ``[low, high]``, optionally log-scaled."""

    name: str
    low: float
    high: float
    log: bool
    grid: tuple[float, ...]

    def distribution(self) -> BaseDistribution:
        return FloatDistribution(self.low, self.high, log=self.log)

    def suggest(self, trial: optuna.Trial) -> float:
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)


@dataclass(frozen=True)
class IntParam:
    """An integer parameter in ``[low, high]`` with an optional step or log scale."""

    name: str
    low: int
    high: int
    log: bool
    step: int
    grid: tuple[int, ...]

    def distribution(self) -> BaseDistribution:
        return IntDistribution(self.low, self.high, log=self.log, step=self.step)

    def suggest(self, trial: optuna.Trial) -> int:
        return trial.suggest_int(self.name, self.low, self.high, log=self.log, step=self.step)


@dataclass(frozen=True)
class CategoricalParam:
    """A parameter chosen from a finite list of values."""

    name: str
    choices: tuple[Scalar, ...]
    grid: tuple[Scalar, ...]

    def distribution(self) -> BaseDistribution:
        return CategoricalDistribution(self.choices)

    def suggest(self, trial: optuna.Trial) -> Scalar:
        return trial.suggest_categorical(self.name, self.choices)


Param = Union[FloatParam, IntParam, CategoricalParam]


# --- parsing: one function per kind, chosen by a table rather than a branch on the kind ---


def _require(spec: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in spec:
        raise SpaceError(f"{where}: missing field {key!r}")
    return spec[key]


def _check_range(low: float, high: float, log: bool, where: str) -> None:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SpaceError(f"{where}: bounds must be finite, got low={low}, high={high}")
    if low >= high:
        raise SpaceError(f"{where}: low ({low}) must be below high ({high})")
    if log and low <= 0:
        raise SpaceError(f"{where}: a log-scaled range needs low > 0, got low={low}")


def _check_grid(grid: Sequence[Any], where: str) -> tuple[Any, ...]:
    values = tuple(grid)
    if not values:
        raise SpaceError(f"{where}: the grid is empty")
    if len(set(values)) != len(values):
        raise SpaceError(f"{where}: the grid repeats a value: {list(values)}")
    return values


def _parse_float(name: str, spec: Mapping[str, Any], where: str) -> FloatParam:
    low, high = float(_require(spec, "low", where)), float(_require(spec, "high", where))
    log = bool(spec.get("log", False))
    _check_range(low, high, log, where)
    grid = _check_grid([float(v) for v in _require(spec, "grid", where)], where)
    outside = [v for v in grid if not low <= v <= high]
    if outside:
        raise SpaceError(f"{where}: grid values {outside} lie outside [{low}, {high}]")
    return FloatParam(name=name, low=low, high=high, log=log, grid=grid)


def _parse_int(name: str, spec: Mapping[str, Any], where: str) -> IntParam:
    low, high = int(_require(spec, "low", where)), int(_require(spec, "high", where))
    log = bool(spec.get("log", False))
    step = int(spec.get("step", 1))
    _check_range(low, high, log, where)
    if step < 1 or (log and step != 1):
        raise SpaceError(f"{where}: step must be >= 1 (and 1 on a log scale), got {step}")
    grid = _check_grid([int(v) for v in spec.get("grid", range(low, high + 1, step))], where)
    outside = [v for v in grid if not low <= v <= high]
    if outside:
        raise SpaceError(f"{where}: grid values {outside} lie outside [{low}, {high}]")
    return IntParam(name=name, low=low, high=high, log=log, step=step, grid=grid)


def _parse_categorical(name: str, spec: Mapping[str, Any], where: str) -> CategoricalParam:
    choices = tuple(_require(spec, "choices", where))
    if not choices:
        raise SpaceError(f"{where}: choices are empty")
    if len(set(choices)) != len(choices):
        raise SpaceError(f"{where}: choices repeat a value: {list(choices)}")
    grid = _check_grid(spec.get("grid", choices), where)
    unknown = [v for v in grid if v not in choices]
    if unknown:
        raise SpaceError(f"{where}: grid values {unknown} are not among the choices")
    return CategoricalParam(name=name, choices=choices, grid=grid)


PARSERS = {"float": _parse_float, "int": _parse_int, "categorical": _parse_categorical}



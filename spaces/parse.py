"""Search spaces as data, parsed: a specification (``{name: {"kind": ..., "when": ...}}``)
and its constraints validated into a :class:`~spaces.base.SearchSpace`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spaces.base import Constraint, SearchSpace
from spaces.params import PARSERS, Param, Scalar, SpaceError

__all__ = ["parse_space"]


def _parse_condition(name: str, when: Any, parsed: Sequence[Param],
                     where: str) -> dict[str, tuple[Scalar, ...]]:
    if not isinstance(when, Mapping) or not when:
        raise SpaceError(f"{where}: 'when' must map earlier parameters to values")
    earlier = {p.name: p for p in parsed}
    out = {}
    for key, allowed in when.items():
        if key not in earlier:
            raise SpaceError(f"{where}: condition on {key!r}, which is not an earlier parameter")
        values = tuple(allowed) if isinstance(allowed, (list, tuple)) else (allowed,)
        choices = getattr(earlier[key], "choices", None)
        if choices is None:
            raise SpaceError(f"{where}: condition on {key!r}, which is not categorical")
        unknown = [v for v in values if v not in choices]
        if unknown or not values:
            raise SpaceError(f"{where}: condition values {unknown} are not among {key!r}'s "
                             "choices")
        out[key] = values
    return out


def _check_constraints(name: str, constraints: Sequence[Constraint],
                       params: Sequence[Param]) -> None:
    known = {p.name for p in params}
    for c in constraints:
        missing = [n for n in c.needs if n not in known]
        if missing:
            raise SpaceError(f"space {name!r}, constraint {c.name!r}: unknown parameters "
                             f"{missing}")


def parse_space(name: str, spec: Mapping[str, Mapping[str, Any]],
                constraints: Sequence[Constraint] = ()) -> SearchSpace:
    """Validates a space specification and returns the :class:`SearchSpace`.

    Args:
        name: Name of the space, used in error messages.
        spec: ``{parameter name: {"kind": ..., ..., "when": {...}}}``.
        constraints: Feasibility rules over the parameters.

    Returns:
        The parsed space, parameters in the specification's order.

    Raises:
        SpaceError: On an empty space, an unknown kind, a missing field, ``low >= high``, a
            log range with ``low <= 0``, empty choices, an invalid grid, a condition on a
            later, unknown or non-categorical parameter or on values it cannot take, or a
            constraint over unknown parameters.
    """
    if not spec:
        raise SpaceError(f"space {name!r} has no parameters")
    params: list[Param] = []
    conditions: dict[str, dict[str, tuple[Scalar, ...]]] = {}
    for param_name, param_spec in spec.items():
        where = f"space {name!r}, parameter {param_name!r}"
        kind = param_spec.get("kind")
        parser = PARSERS.get(kind) if isinstance(kind, str) else None
        if parser is None:
            raise SpaceError(
                f"{where}: unknown parameter kind {kind!r}; use one of {sorted(PARSERS)}"
            )
        if "when" in param_spec:
            conditions[param_name] = _parse_condition(param_name, param_spec["when"], params,
                                                      where)
        try:
            params.append(parser(param_name, param_spec, where))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, SpaceError):
                raise
            raise SpaceError(f"{where}: {exc}") from None
    _check_constraints(name, constraints, params)
    return SearchSpace(name=name, params=tuple(params), conditions=conditions,
                       constraints=tuple(constraints))


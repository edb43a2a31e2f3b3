"""The parameters cell of a report notebook: parse it, and check and coerce values against it.

The notebook's ``parameters`` cell is the single declaration of what a report accepts: each line
is an annotated literal (``top_items: int = 20  # items listed``). Reading names, types and
defaults from that cell (with :mod:`ast`, never by executing it) means the CLI, the Python API and
JupyterLab cannot drift apart, and a typo in ``-p top_item 5`` is caught before a kernel starts
instead of papermill silently injecting a variable that nothing reads.

Size parameters (``sample_size``, ``top_items``, ...) have a documented range (``SIZE_LIMITS``),
checked here before a kernel starts: a report is an email attachment, and ``-p sample_size
100000`` once wrote a 58 MB page of rationales.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from imr_analytics.reports.errors import ReportParameterError

__all__ = [
    "FALSE_WORDS",
    "INTERVALS",
    "PERIODS",
    "SIZE_LIMITS",
    "TRUE_WORDS",
    "ParamSpec",
    "ParamType",
    "ReportParameterError",
    "allowed_values",
    "size_limits",
    "check_meaning",
    "check_relations",
    "coerce_params",
    "injected_names",
    "parse_parameters_cell",
    "type_from_annotation",
]

_SCALARS = {"str": str, "int": int, "float": float, "bool": bool}
# Words accepted for a bool, here and for the mailer's IMR_SMTP_STARTTLS.
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})
_NONE = {"none", "null", ""}

# Parameters whose meaning nbkit fixes by name (``Report.open`` reads them): a report that
# declares one gets these checks from its type alone, in the runner before a kernel starts and
# again in ``Report.open`` when the value was edited in JupyterLab.
PERIODS = ("year", "quarter", "month")
INTERVALS = ("korn-graubard", "wilson")
_CHOICES: dict[str, tuple[str, ...]] = {"period": PERIODS, "interval": INTERVALS}
_DATES = ("date_from", "date_to")
# Inclusive (minimum, maximum) of every size parameter a report may declare: each bounds what
# one run reads and writes (rows listed, rationales quoted), so none can blow up the page.
SIZE_LIMITS: dict[str, tuple[int, int]] = {
    "sample_size": (1, 200),
    "top_items": (1, 100),
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ParamType:
    """A declared parameter type: a scalar, or a list of scalars, optionally ``| None``."""

    base: str  # 'str' | 'int' | 'float' | 'bool' | 'list'
    item: str | None = None  # scalar name of list items
    optional: bool = False

    def __str__(self) -> str:
        text = f"list[{self.item}]" if self.base == "list" else self.base
        return f"{text} | None" if self.optional else text


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter: its name, type, default literal and the comment that explains it."""

    name: str
    type: ParamType
    default: Any
    help: str = ""
    annotation: str = field(default="", compare=False)


# -- parsing the cell ---------------------------------------------------------------------------


def _parse_annotation(node: ast.expr, source: str) -> ParamType:
    """Turn an annotation AST into a :class:`ParamType`, refusing anything papermill can't inject."""
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    # X | None  /  None | X
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [node.left, node.right]
        nones = [s for s in sides if isinstance(s, ast.Constant) and s.value is None]
        others = [s for s in sides if s not in nones]
        if len(nones) == 1 and len(others) == 1:
            inner = _parse_annotation(others[0], source)
            return ParamType(inner.base, inner.item, optional=True)
    # Optional[X]
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Optional"
    ):
        inner = _parse_annotation(node.slice, source)
        return ParamType(inner.base, inner.item, optional=True)
    if isinstance(node, ast.Name) and node.id in _SCALARS:
        return ParamType(node.id)
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in {"list", "List"}
        and isinstance(node.slice, ast.Name)
        and node.slice.id in _SCALARS
    ):
        return ParamType("list", node.slice.id)
    raise ReportParameterError(
        f"unsupported parameter annotation {text!r}: use str, int, float, bool, list[...] "
        "of those, optionally '| None'"
    )


def _line_comments(source: str) -> dict[int, str]:
    """Trailing ``# comment`` text by 1-based line number, via tokenize so '#' in strings is safe."""
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


def parse_parameters_cell(source: str, *, where: str = "parameters cell") -> dict[str, ParamSpec]:
    """Parse the source of a ``parameters`` cell into specs, in declaration order.

    Every statement must be an annotated assignment of a literal; anything else (a bare name, a
    computed default, an un-annotated ``x = 1``) is rejected, because then the declared type would
    be a guess and CLI strings could not be coerced reliably.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ReportParameterError(
            f"{where}: syntax error on line {exc.lineno}: {exc.msg}"
        ) from exc
    comments = _line_comments(source)
    specs: dict[str, ParamSpec] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring-like string literal
        if not (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.value is not None
        ):
            raise ReportParameterError(
                f"{where}, line {stmt.lineno}: every statement must be 'name: type = literal'"
            )
        name = stmt.target.id
        ptype = _parse_annotation(stmt.annotation, source)
        try:
            default = ast.literal_eval(stmt.value)
        except ValueError as exc:
            raise ReportParameterError(
                f"{where}, line {stmt.lineno}: default of {name!r} is not a literal"
            ) from exc
        try:
            default = _check_value(ptype, default)
        except _TypeMismatch as exc:
            raise ReportParameterError(
                f"{where}: default of {name!r} does not match its declared type {ptype}"
            ) from exc
        if name in specs:
            raise ReportParameterError(f"{where}: parameter {name!r} declared twice")
        try:
            check_meaning(name, default)
        except ReportParameterError as exc:
            raise ReportParameterError(f"{where}: default of {exc}") from None
        specs[name] = ParamSpec(
            name=name,
            type=ptype,
            default=default,
            help=" ".join(
                comments[n]
                for n in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
                if n in comments
            ),
            annotation=ast.get_source_segment(source, stmt.annotation) or str(ptype),
        )
    return specs


def type_from_annotation(annotation: Any) -> ParamType:
    """A :class:`ParamType` from a runtime annotation (the kernel's ``__annotations__``).

    Inside a running notebook this is the parameters cell as executed, so a report is checked
    against its own declaration, not against some file on disk.
    """
    import types
    import typing

    if isinstance(annotation, str):  # postponed annotations (from __future__ import annotations)
        try:
            node = ast.parse(annotation, mode="eval").body
        except SyntaxError:
            node = None
        if node is not None:
            return _parse_annotation(node, annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        others = [a for a in args if a is not type(None)]
        if len(others) == 1:
            inner = type_from_annotation(others[0])
            return ParamType(inner.base, inner.item, optional=True)
    if isinstance(annotation, type) and annotation.__name__ in _SCALARS and origin is None:
        return ParamType(annotation.__name__)
    if origin is list and len(args) == 1 and getattr(args[0], "__name__", "") in _SCALARS:
        return ParamType("list", args[0].__name__)
    raise ReportParameterError(
        f"unsupported parameter annotation {annotation!r}: use str, int, float, bool or "
        "list[...] of those"
    )


# papermill's Python translator opens the cell it injects with this comment line.
_INJECTED_HEADER = "# Parameters"


def injected_names(history: Sequence[str]) -> list[str]:
    """Names assigned by papermill's injected-parameters cells in a kernel's input history.

    papermill only warns about a parameter the notebook does not declare and runs on; a
    scheduled report with ``-p db_pth ...`` would then quietly use the default. The kernel's
    own history (IPython's ``In``) is the one record of what was injected into this run.
    """
    names: list[str] = []
    for source in history:
        if not isinstance(source, str) or source.splitlines()[:1] != [_INJECTED_HEADER]:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for stmt in tree.body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else []
            names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return names


# -- checking values ----------------------------------------------------------------------------


class _TypeMismatch(Exception):
    """Internal: a value does not fit a declared type."""


def _check_scalar(base: str, value: Any) -> Any:
    """Accept an already-typed Python value for a scalar type (int widens to float, bool does not)."""
    if base == "bool":
        if isinstance(value, bool):
            return value
    elif base == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif base == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif base == "str" and isinstance(value, str):
        return value
    raise _TypeMismatch


def _check_value(ptype: ParamType, value: Any) -> Any:
    """Check a typed value (not a CLI string) against a declared type."""
    if value is None:
        if ptype.optional:
            return None
        raise _TypeMismatch
    if ptype.base == "list":
        if not isinstance(value, list | tuple):
            raise _TypeMismatch
        return [_check_scalar(ptype.item or "str", v) for v in value]
    return _check_scalar(ptype.base, value)


def _from_string_scalar(base: str, text: str) -> Any:
    """Coerce one CLI string to a scalar type."""
    stripped = text.strip()
    if base == "str":
        return text
    if base == "bool":
        low = stripped.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise _TypeMismatch
    try:
        return int(stripped) if base == "int" else float(stripped)
    except ValueError as exc:
        raise _TypeMismatch from exc


def _from_string(ptype: ParamType, text: str) -> Any:
    """Coerce a CLI string to a declared type.

    Lists accept a JSON array (``'["a, b", "c"]'`` for items with commas) or a comma-separated
    string; ``none``/``null``/empty means None for optional parameters.
    """
    if ptype.optional and text.strip().lower() in _NONE:
        return None
    if ptype.base != "list":
        return _from_string_scalar(ptype.base, text)
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise _TypeMismatch from exc
        if not isinstance(parsed, list):
            raise _TypeMismatch
        return [
            _from_string_scalar(ptype.item or "str", v)
            if isinstance(v, str)
            else _check_scalar(ptype.item or "str", v)
            for v in parsed
        ]
    if not stripped:
        return []
    return [_from_string_scalar(ptype.item or "str", part.strip()) for part in text.split(",")]


def allowed_values(name: str) -> tuple[str, ...] | None:
    """The values a parameter with this name may take, when nbkit fixes them (else None)."""
    return _CHOICES.get(name)


def _check_adjust(values: list[Any]) -> None:
    """``adjust`` names single-valued dimensions a logistic model can adjust for."""
    from imr_analytics.analytics.rates import DIMENSIONS

    for value in values:
        dim = DIMENSIONS.get(value)
        if dim is None:
            raise ReportParameterError(
                f"parameter 'adjust': unknown dimension {value!r}; e.g. item_category, "
                "decision_year, request_type, priority"
            )
        if dim.multi_valued:
            raise ReportParameterError(
                f"parameter 'adjust': {value!r} is multi-valued (an item can have several), "
                "which a model cannot adjust for; use a single-valued dimension"
            )


def size_limits(name: str) -> tuple[int, int] | None:
    """The documented (minimum, maximum) of a size parameter, or None for other names."""
    return SIZE_LIMITS.get(name)


def check_meaning(name: str, value: Any) -> None:
    """Check a typed value against what nbkit does with a parameter of this name.

    ``period`` and ``interval`` must be one of the values nbkit implements, dates must be
    ``YYYY-MM-DD`` (not the other forms ``date.fromisoformat`` accepts) and size parameters
    must lie in their documented range (``SIZE_LIMITS``). Other names are not checked here.
    """
    if value is None or (name in _DATES and value == ""):
        return
    choices = _CHOICES.get(name)
    if choices is not None and value not in choices:
        raise ReportParameterError(
            f"parameter {name!r} must be one of {', '.join(choices)}, got {value!r}"
        )
    if name in _DATES:
        ok = isinstance(value, str) and _ISO_DATE.fullmatch(value) is not None
        if ok:
            try:
                date.fromisoformat(value)
            except ValueError:
                ok = False
        if not ok:
            raise ReportParameterError(
                f"parameter {name!r} must be a date YYYY-MM-DD, got {value!r}"
            )
    if name == "adjust" and isinstance(value, list):
        _check_adjust(value)
    limits = SIZE_LIMITS.get(name)
    if limits is not None and isinstance(value, int) and not limits[0] <= value <= limits[1]:
        raise ReportParameterError(
            f"parameter {name!r} must be from {limits[0]} to {limits[1]}, got {value!r}"
        )


def check_relations(values: dict[str, Any]) -> None:
    """Checks across parameters, on the effective values (defaults filled in)."""
    start, end = values.get("date_from"), values.get("date_to")
    if start and end and date.fromisoformat(start) > date.fromisoformat(end):
        raise ReportParameterError(f"date_from {start} is after date_to {end}")


def coerce_value(spec: ParamSpec, value: Any) -> Any:
    """Check one value against its spec; strings for non-string types are coerced (CLI input).

    The result is also checked with :func:`check_meaning`, so ``-p period fortnight`` fails
    here, before a kernel starts, naming the values allowed.
    """
    if spec.name in _DATES and isinstance(value, str) and value.strip().lower() in _NONE:
        value = ""  # a date left open: "", none or null (papermill-friendly str parameters)
    try:
        if isinstance(value, str) and (spec.type.base != "str" or spec.type.optional):
            coerced = _from_string(spec.type, value)
        elif (
            isinstance(value, list | tuple)
            and spec.type.base == "list"
            and spec.type.item != "str"
            and all(isinstance(v, str) for v in value)
        ):
            # repeated CLI flags: -p categories A -p categories B for list[int] etc.
            coerced = [_from_string_scalar(spec.type.item or "str", v) for v in value]
        else:
            coerced = _check_value(spec.type, value)
    except _TypeMismatch:
        raise ReportParameterError(
            f"parameter {spec.name!r} expects {spec.type}, got {value!r} ({type(value).__name__})"
        ) from None
    check_meaning(spec.name, coerced)
    return coerced


def coerce_params(
    specs: dict[str, ParamSpec], params: dict[str, Any], *, report: str = "report"
) -> dict[str, Any]:
    """Validate every given parameter against the specs and return the coerced values.

    Only the parameters given are returned (defaults stay in the notebook), so the injected cell
    shows exactly what the caller changed.
    """
    unknown = [k for k in params if k not in specs]
    if unknown:
        known = ", ".join(f"{s.name}: {s.type}" for s in specs.values())
        names = ", ".join(repr(u) for u in unknown)
        raise ReportParameterError(
            f"unknown parameter {names} for report {report!r}; it accepts: {known}"
        )
    coerced = {name: coerce_value(specs[name], value) for name, value in params.items()}
    check_relations({**{k: s.default for k, s in specs.items()}, **coerced})
    return coerced

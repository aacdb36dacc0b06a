"""The public import surface of a generated package and what a regeneration breaks in it, read with griffe.

griffe (mkdocstrings' API reader; its ``find_breaking_changes`` is the check behind ``griffe check``) reads the
sources statically: nothing is imported or executed. It reports removed objects, parameters added as required,
removed, moved or made required, changed kinds and defaults; an added optional parameter is compatible and not
reported. What griffe does not list, symbols *added*, comes from comparing the two surfaces.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import attrs
import griffe

__all__ = ["SURFACE_RULES", "SurfaceChange", "compare_packages", "overlay_imports", "package_surface", "record"]

# rule id -> (severity, meaning); the spec rules live in contract_tests.toolchain.rules.
SURFACE_RULES: dict[str, tuple[str, str]] = {
    "import-symbol-removed": ("breaking", "a public module, class, function or attribute disappeared"),
    "import-symbol-added": ("info", "a public module, class, function or attribute appeared"),
    "import-signature-changed": ("breaking", "a call valid before can fail now (parameter required/removed/moved)"),
    "import-default-changed": ("warning", "a parameter's default value changed"),
    "import-kind-changed": ("breaking", "a public name changed kind (attribute -> function, class -> module, ...)"),
    "import-type-changed": ("warning", "an attribute's or return value's annotation changed"),
    "import-value-changed": ("warning", "a module or class attribute's value changed (enum members, constants)"),
    "import-base-removed": ("warning", "a class lost a base class"),
    "overlay-import-broken": ("breaking", "the tokenops overlay imports a name the regenerated package lacks"),
}

_BREAKAGE_RULES = {
    griffe.BreakageKind.OBJECT_REMOVED: "import-symbol-removed",
    griffe.BreakageKind.PARAMETER_ADDED_REQUIRED: "import-signature-changed",
    griffe.BreakageKind.PARAMETER_REMOVED: "import-signature-changed",
    griffe.BreakageKind.PARAMETER_MOVED: "import-signature-changed",
    griffe.BreakageKind.PARAMETER_CHANGED_KIND: "import-signature-changed",
    griffe.BreakageKind.PARAMETER_CHANGED_REQUIRED: "import-signature-changed",
    griffe.BreakageKind.PARAMETER_CHANGED_DEFAULT: "import-default-changed",
    griffe.BreakageKind.OBJECT_CHANGED_KIND: "import-kind-changed",
    griffe.BreakageKind.RETURN_CHANGED_TYPE: "import-type-changed",
    griffe.BreakageKind.ATTRIBUTE_CHANGED_TYPE: "import-type-changed",
    griffe.BreakageKind.ATTRIBUTE_CHANGED_VALUE: "import-value-changed",
    griffe.BreakageKind.CLASS_REMOVED_BASE: "import-base-removed",
}


@attrs.frozen(order=True)
class SurfaceChange:
    """One change of the import surface: a rule id (:data:`SURFACE_RULES`), a dotted name, a message."""

    symbol: str
    rule: str
    message: str

    @property
    def severity(self) -> str:
        """The rule's severity."""
        return SURFACE_RULES[self.rule][0]


def record(change: SurfaceChange) -> dict[str, Any]:
    """A surface change as a report record, shaped as the spec diff's (the location is a dotted import name)."""
    return {
        "rule": change.rule,
        "severity": change.severity,
        "location": change.symbol,
        "document": "generated",
        "where": change.symbol,
        "message": change.message,
        "operations": [],
        "sites": [],
        "also": [],
    }


def _load(package_dir: Path) -> griffe.Module:
    loader = griffe.GriffeLoader(search_paths=[package_dir.parent], allow_inspection=False)
    module = loader.load(package_dir.name)
    assert isinstance(module, griffe.Module)  # noqa: S101 - a package directory loads as a module
    return module


def _signature(function: griffe.Function, *, method: bool) -> str:
    parts: list[str] = []
    star = False
    for index, parameter in enumerate(function.parameters):
        if method and index == 0 and parameter.kind is griffe.ParameterKind.positional_or_keyword:
            continue  # self / cls
        if parameter.kind is griffe.ParameterKind.keyword_only and not star:
            parts.append("*")
            star = True
        prefix = {griffe.ParameterKind.var_positional: "*", griffe.ParameterKind.var_keyword: "**"}.get(
            parameter.kind, ""
        )
        star = star or parameter.kind is griffe.ParameterKind.var_positional
        parts.append(f"{prefix}{parameter.name}{'=' if parameter.default is not None else ''}")
    return f"({', '.join(parts)})"


def _describe(obj: Any, *, in_class: bool) -> str:
    if obj.is_alias:
        return f"re-export of {obj.target_path}"
    if obj.is_module:
        return "module"
    if obj.is_class:
        return "class"
    if obj.is_function:
        return f"{'method' if in_class else 'function'}{_signature(obj, method=in_class)}"
    annotation = getattr(obj, "annotation", None)
    if in_class and annotation is None and obj.value is not None:
        return f"member = {obj.value}"
    return f"attribute: {annotation}" if annotation is not None else "variable"


def _walk(obj: Any, out: dict[str, str]) -> None:
    for name, member in obj.members.items():
        if name.startswith("_"):
            continue
        in_class = bool(obj.is_class) and not obj.is_alias
        out[member.path] = _describe(member, in_class=in_class)
        if not member.is_alias and (member.is_module or member.is_class):
            _walk(member, out)


def package_surface(package_dir: Path, package: str) -> dict[str, str]:
    """``{dotted name: description}`` for every public name of the package at ``package_dir`` (import ``package``).

    Descriptions: ``module``, ``class``, ``function(a, *, b=)``, ``method(...)``, ``attribute: T``,
    ``member = 'v'`` (enum), ``variable``, ``re-export of pkg.mod.Name``.
    """
    module = _load(package_dir)
    out = {package: "module"}
    _walk(module, out)
    return out


def _removed_message(symbol: str, description: str | None) -> str:
    parent, _, name = symbol.rpartition(".")
    kind = (description or "object").split(":")[0].split("(")[0].split(" =")[0]
    if description is None or description in ("module", "class") or description.startswith("re-export"):
        return f"{kind if description else 'object'} removed: `from {parent} import {name}` breaks"
    return f"{kind} removed: `.{name}` breaks"


def compare_packages(old_dir: Path, new_dir: Path) -> list[SurfaceChange]:
    """What regenerating into ``new_dir`` does to code importing the package at ``old_dir``.

    Args:
        old_dir: the committed package directory (e.g. ``generated/tokenops_client``).
        new_dir: the regenerated package directory.

    Returns:
        Breakages found by griffe plus the public names added, sorted by symbol.
    """
    old_module, new_module = _load(old_dir), _load(new_dir)
    old_surface: dict[str, str] = {}
    new_surface: dict[str, str] = {}
    _walk(old_module, old_surface)
    _walk(new_module, new_surface)
    changes: set[SurfaceChange] = set()
    for breakage in griffe.find_breaking_changes(old_module, new_module):
        rule = _BREAKAGE_RULES[breakage.kind]  # every kind of the pinned griffe (tests/test_surface.py)
        symbol = breakage.obj.path
        if rule == "import-symbol-removed":
            message = _removed_message(symbol, old_surface.get(symbol))
        else:
            message = f"{breakage.kind.value}: {_value(breakage.old_value)} → {_value(breakage.new_value)}"
        changes.add(SurfaceChange(symbol, rule, message))
    for symbol in new_surface.keys() - old_surface.keys():
        if symbol.rpartition(".")[0] in new_surface.keys() - old_surface.keys():
            continue  # reported once, at the outermost added name
        changes.add(SurfaceChange(symbol, "import-symbol-added", f"{new_surface[symbol].split(':')[0]} added"))
    return sorted(changes)


def _value(value: Any) -> str:
    if isinstance(value, griffe.Parameter):
        return f"{value.name}{'=' + str(value.default) if value.default is not None else ''}"
    return "-" if value is None else str(getattr(value, "path", value))


def overlay_imports(overlay_dir: Path, generated_package: str) -> dict[str, str]:
    """``{dotted name: file:line}`` for every name the overlay imports from the generated package."""
    found: dict[str, str] = {}
    for path in sorted(overlay_dir.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == generated_package:
                for alias in node.names:
                    found[f"{node.module}.{alias.name}"] = f"{path.name}:{node.lineno}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == generated_package:
                        found[alias.name] = f"{path.name}:{node.lineno}"
    return found

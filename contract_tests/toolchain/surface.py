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

__all__ = [
    "SURFACE_RULES",
    "Surface",
    "SurfaceChange",
    "compare_packages",
    "compare_surfaces",
    "overlay_imports",
    "package_surface",
    "read_surface",
    "record",
]

# rule id -> (severity, meaning); the spec rules live in contract_tests.toolchain.rules.
SURFACE_RULES: dict[str, tuple[str, str]] = {
    "import-symbol-removed": ("breaking", "a public module, class, function or attribute disappeared"),
    "import-symbol-added": ("info", "a public module, class, function or attribute appeared"),
    "import-signature-changed": ("breaking", "a call valid before can fail now (parameter required/removed/moved)"),
    "import-default-changed": ("warning", "a parameter's default value changed"),
    "import-kind-changed": ("breaking", "a public name changed kind (attribute -> function, class -> module, ...)"),
    "import-type-changed": ("warning", "a function lost its return annotation (griffe compares no other annotations)"),
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


# One public name as read: its kind (module, class, function, attribute, alias), what it shows (``description``) and
# what the comparison needs (alias target, class bases, function parameters and return annotation). JSON-friendly:
# the surface of a large generated client is read once (griffe takes seconds) and kept beside it in the cache.
Record = dict[str, Any]
Surface = dict[str, Record]


def _record(obj: Any, *, in_class: bool) -> Record:
    record: Record = {
        "kind": "alias" if obj.is_alias else obj.kind.value,
        "description": _describe(obj, in_class=in_class),
    }
    if obj.is_alias:
        record["target"] = obj.target_path
    elif obj.is_class:
        record["bases"] = [str(base) for base in obj.bases]
    elif obj.is_function:
        record["params"] = [
            [p.name, p.kind.value, p.required, None if p.default is None else str(p.default)] for p in obj.parameters
        ]
        record["returns"] = None if obj.returns is None else str(obj.returns)
    return record


def _walk(obj: Any, out: Surface) -> None:
    for name, member in obj.members.items():
        if name.startswith("_"):
            continue
        in_class = bool(obj.is_class) and not obj.is_alias
        out[member.path] = _record(member, in_class=in_class)
        if not member.is_alias and (member.is_module or member.is_class):
            _walk(member, out)


def read_surface(package_dir: Path) -> Surface:
    """Every public name of the package at ``package_dir`` (its directory name is the import name), read with griffe.

    Returns:
        ``{dotted name: record}``; :func:`compare_surfaces` compares two of them.
    """
    module = _load(package_dir)
    out: Surface = {module.path: {"kind": "module", "description": "module"}}
    _walk(module, out)
    return out


def package_surface(package_dir: Path, package: str) -> dict[str, str]:
    """``{dotted name: description}`` for every public name of the package at ``package_dir`` (import ``package``).

    Descriptions: ``module``, ``class``, ``function(a, *, b=)``, ``method(...)``, ``attribute: T``,
    ``member = 'v'`` (enum), ``variable``, ``re-export of pkg.mod.Name``.
    """
    surface = read_surface(package_dir)
    return {package if name == package_dir.name else name: record["description"] for name, record in surface.items()}


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
        The breakages (:func:`compare_surfaces`) plus the public names added, sorted by symbol.
    """
    return compare_surfaces(read_surface(old_dir), read_surface(new_dir))


_POSITIONAL = frozenset({"positional-only", "positional or keyword"})
_INCOMPATIBLE_KINDS = {
    ("positional-only", "keyword-only"),
    ("keyword-only", "positional-only"),
    ("positional or keyword", "positional-only"),
    ("positional or keyword", "keyword-only"),
}


def _parameters(old: Record, new: Record) -> list[tuple[griffe.BreakageKind, str, str]]:
    """griffe's function checks (``griffe.find_breaking_changes``) on two function records."""
    old_params, new_params = old.get("params") or [], new.get("params") or []
    kinds = {param[1] for param in new_params}
    variadic_args, variadic_kwargs = "variadic positional" in kinds, "variadic keyword" in kinds
    by_name: dict[str, tuple[int, list[Any]]] = {}
    for index, param in enumerate(new_params):
        by_name.setdefault(param[0], (index, param))
    found: list[tuple[griffe.BreakageKind, str, str]] = []
    for old_index, (name, kind, required, default) in enumerate(old_params):
        if name not in by_name:
            swallowed = (
                (kind == "keyword-only" and variadic_kwargs)
                or (kind == "positional-only" and variadic_args)
                or (kind == "positional or keyword" and variadic_args and variadic_kwargs)
            )
            if not swallowed:
                found.append((griffe.BreakageKind.PARAMETER_REMOVED, _shown(name, default), "-"))
            continue
        new_index, (_, new_kind, new_required, new_default) = by_name[name]
        if new_required and not required:
            found.append((griffe.BreakageKind.PARAMETER_CHANGED_REQUIRED, _shown(name, default), name))
        if kind in _POSITIONAL and new_kind in _POSITIONAL and new_index != old_index:
            found.append((griffe.BreakageKind.PARAMETER_MOVED, f"{name} at {old_index}", f"{name} at {new_index}"))
        if kind != new_kind and (
            (kind, new_kind) in _INCOMPATIBLE_KINDS
            or (new_kind == "variadic keyword" and kind != "keyword-only" and not variadic_args)
            or (new_kind == "variadic positional" and kind != "positional-only" and not variadic_kwargs)
        ):
            found.append((griffe.BreakageKind.PARAMETER_CHANGED_KIND, f"{name} ({kind})", f"{name} ({new_kind})"))
        variadic = {"variadic positional", "variadic keyword"}
        optional = not required and not new_required and kind not in variadic and new_kind not in variadic
        if optional and default != new_default:
            found.append(
                (griffe.BreakageKind.PARAMETER_CHANGED_DEFAULT, _shown(name, default), _shown(name, new_default))
            )
    old_names = {param[0] for param in old_params}
    for name, _, required, default in new_params:
        if name not in old_names and required:
            found.append((griffe.BreakageKind.PARAMETER_ADDED_REQUIRED, "-", _shown(name, default)))
    if old.get("returns") is not None and new.get("returns") is None:
        found.append((griffe.BreakageKind.RETURN_CHANGED_TYPE, str(old["returns"]), "-"))
    return found


def _shown(name: str, default: str | None) -> str:
    return f"{name}{'=' + default if default is not None else ''}"


def _target(surface: Surface, path: str) -> str | None:
    """The path an alias chain ends at, when it is in the surface (an external target cannot be checked)."""
    for _ in range(32):
        record = surface.get(path)
        if record is None:
            return None
        if record["kind"] != "alias":
            return path
        path = record["target"]
    return None


def _breakages(old: Surface, new: Surface, path: str) -> list[tuple[griffe.BreakageKind, str, str]]:
    """griffe's checks of one name both surfaces have, its records differing (aliases through their targets)."""
    old_record, new_record = old[path], new[path]
    if "alias" in (old_record["kind"], new_record["kind"]):
        old_target, new_target = _target(old, path), _target(new, path)
        if old_target is None or new_target is None or (old_target, new_target) == (path, path):
            return []
        if old_target == new_target and old_target != path:
            return []  # a re-export of the same object: compared at its own path
        old_record, new_record = old[old_target], new[new_target]
    if old_record["kind"] != new_record["kind"]:
        return [(griffe.BreakageKind.OBJECT_CHANGED_KIND, old_record["kind"], new_record["kind"])]
    if old_record["kind"] == "class":
        old_bases, new_bases = old_record.get("bases") or [], new_record.get("bases") or []
        if old_bases != new_bases and len(new_bases) < len(old_bases):
            return [(griffe.BreakageKind.CLASS_REMOVED_BASE, str(old_bases), str(new_bases))]
    if old_record["kind"] == "function":
        return _parameters(old_record, new_record)
    return []


def compare_surfaces(old: Surface, new: Surface) -> list[SurfaceChange]:
    """What replacing the package read as ``old`` with the one read as ``new`` does to code importing it.

    The checks are griffe's (``griffe.find_breaking_changes``: objects removed, kinds changed, bases removed,
    parameters removed, moved, made required, changed kind or default, required ones added, a return annotation
    dropped) run on the two records (:func:`read_surface`), plus the public names added. Removed and added names are
    reported once, at the outermost one; only names whose records differ are compared, so two surfaces of 35,000
    names compare in a fraction of a second.

    Returns:
        The changes, sorted by symbol.
    """
    found: set[SurfaceChange] = set()
    for path, record in old.items():
        parent = path.rpartition(".")[0]
        if path not in new:
            if not parent or (parent in new and parent in old and old[parent]["kind"] == new[parent]["kind"]):
                found.add(SurfaceChange(path, "import-symbol-removed", _removed_message(path, record["description"])))
        elif record != new[path]:
            for kind, before, after in _breakages(old, new, path):
                found.add(SurfaceChange(path, _BREAKAGE_RULES[kind], f"{kind.value}: {before} → {after}"))
    added = new.keys() - old.keys()
    for symbol in added:
        if symbol.rpartition(".")[0] in added:
            continue  # reported once, at the outermost added name
        found.add(SurfaceChange(symbol, "import-symbol-added", f"{new[symbol]['description'].split(':')[0]} added"))
    return sorted(found)


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

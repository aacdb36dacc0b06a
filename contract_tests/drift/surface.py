"""The public import surface of a generated package, read with ``ast`` (nothing is imported or executed).

A surface maps each public dotted name to a description: ``module``, ``class``, ``function(a, *, b)``,
``attribute: T``, ``member = 'v'`` (enum), ``re-export of pkg.mod.Name``. Comparing two surfaces tells
what downstream ``from tokenops_client... import ...`` or attribute access a regeneration would break.
"""

from __future__ import annotations

import ast
from pathlib import Path

import attrs

__all__ = ["SurfaceChange", "compare_surfaces", "overlay_imports", "package_surface"]

_ENUM_BASES = {"Enum", "StrEnum", "IntEnum"}


@attrs.frozen(order=True)
class SurfaceChange:
    severity: str
    symbol: str
    message: str


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, *, method: bool) -> str:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if method and positional:
        positional = positional[1:]  # self / cls
    first_default = len(positional) - len(args.defaults)
    parts = [f"{a.arg}{'=' if i >= first_default else ''}" for i, a in enumerate(positional)]
    if args.vararg:
        parts.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        parts.append("*")
    parts += [f"{a.arg}{'=' if d is not None else ''}" for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg:
        parts.append(f"**{args.kwarg.arg}")
    return f"({', '.join(parts)})"


def _class_surface(node: ast.ClassDef, prefix: str, out: dict[str, str]) -> None:
    out[prefix] = "class"
    is_enum = any(isinstance(base, ast.Name) and base.id in _ENUM_BASES for base in node.bases)
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            name = item.target.id
            if not name.startswith("_"):
                out[f"{prefix}.{name}"] = f"attribute: {ast.unparse(item.annotation)}"
        elif isinstance(item, ast.Assign) and is_enum:
            for target in item.targets:
                if isinstance(target, ast.Name) and not target.id.startswith("_"):
                    out[f"{prefix}.{target.id}"] = f"member = {ast.unparse(item.value)}"
        elif isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and not item.name.startswith("_"):
            kind = "property" if any(ast.unparse(d) == "property" for d in item.decorator_list) else "method"
            out[f"{prefix}.{item.name}"] = kind if kind == "property" else f"method{_signature(item, method=True)}"


def package_surface(package_dir: Path, package: str) -> dict[str, str]:
    """The public surface of the package rooted at ``package_dir`` (import name ``package``)."""
    out: dict[str, str] = {}
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir).with_suffix("")
        parts = [package, *relative.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts[1:]):
            continue
        module = ".".join(parts)
        out[module] = "module"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
                out[f"{module}.{node.name}"] = f"function{_signature(node, method=False)}"
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                _class_surface(node, f"{module}.{node.name}", out)
            elif isinstance(node, ast.AnnAssign | ast.Assign):
                targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
                for target in targets:
                    if isinstance(target, ast.Name) and not target.id.startswith("_"):
                        out[f"{module}.{target.id}"] = "variable"
            elif isinstance(node, ast.ImportFrom) and path.name == "__init__.py" and node.level:
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                for alias in node.names:
                    name = alias.asname or alias.name
                    if not name.startswith("_") and f"{module}.{name}" not in out:
                        out[f"{module}.{name}"] = f"re-export of {base}.{alias.name}"
    return out


def _params(description: str) -> list[str]:
    inside = description[description.index("(") + 1 : description.rindex(")")]
    return [p.strip() for p in inside.split(",") if p.strip()]


def _signature_change(old: str, new: str) -> str | None:
    """'breaking' when a call valid before can fail now, else 'warning'."""
    old_params, new_params = _params(old), _params(new)
    old_names = {p.rstrip("=").lstrip("*") for p in old_params}
    for param in new_params:
        name = param.rstrip("=").lstrip("*")
        if name and name not in old_names and not param.endswith("=") and not param.startswith("*"):
            return "breaking"  # a new required parameter
    new_names = {p.rstrip("=").lstrip("*") for p in new_params}
    if old_names - new_names:
        return "breaking"  # a parameter callers may pass is gone
    return "warning"


def compare_surfaces(old: dict[str, str], new: dict[str, str]) -> list[SurfaceChange]:
    """What regenerating from a candidate spec does to downstream imports and attribute access."""
    changes = []
    for symbol in sorted(old.keys() - new.keys()):
        parent = symbol.rsplit(".", 1)[0]
        if parent in old and parent not in new:
            continue  # reported once, at the outermost removed name
        how = "import" if old[symbol] in ("module", "class") or old[symbol].startswith("re-export") else "access"
        action = (
            f"`from {parent} import {symbol.rsplit('.', 1)[1]}`"
            if how == "import"
            else f"`.{symbol.rsplit('.', 1)[1]}`"
        )
        changes.append(SurfaceChange("breaking", symbol, f"{old[symbol].split(':')[0]} removed: {action} breaks"))
    for symbol in sorted(new.keys() - old.keys()):
        changes.append(SurfaceChange("info", symbol, f"{new[symbol].split(':')[0]} added"))
    for symbol in sorted(old.keys() & new.keys()):
        a, b = old[symbol], new[symbol]
        if a == b:
            continue
        if a.startswith(("function(", "method(")) and b.startswith(("function(", "method(")):
            severity = _signature_change(a, b) or "warning"
            changes.append(SurfaceChange(severity, symbol, f"signature {a} -> {b}"))
        else:
            changes.append(SurfaceChange("warning", symbol, f"{a} -> {b}"))
    return changes


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

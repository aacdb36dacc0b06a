"""What the suite needs to know about each operation, read from the spec (never hand-listed).

:func:`facts_for` turns a loaded OpenAPI document into :class:`OperationFacts`: method, path, path
parameters, the parameter that addresses the resource (the last path segment), documented 2xx media types
and schemas, and where resources with a lifecycle (a ``status`` enum, see :mod:`contract_tests.suite.resources`)
appear in 2xx bodies. Checks, steering, probes and the lifecycle test decide where they apply from these
facts, so a new operation in ``openapi.yaml`` is covered without code changes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from tokenops.spec import Operation, Spec, is_json, load

__all__ = [
    "HTTP_METHODS",
    "OperationFacts",
    "ResourceSite",
    "SpecFacts",
    "UnknownOperationError",
    "facts_for",
    "load_facts",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def is_json_media_type(media_type: str | None) -> bool:
    """``application/json`` and ``application/*+json``."""
    return is_json(media_type)


@attrs.frozen
class ResourceSite:
    """Where a lifecycle resource sits in a 2xx body: ``()`` the body itself, ``("data", "*")`` each list item."""

    schema_name: str
    steps: tuple[str, ...]

    def locate(self, body: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (JSON path, object) in ``body`` at this site."""
        yield from _walk(body, self.steps, "")


def _walk(value: Any, steps: tuple[str, ...], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not steps:
        if isinstance(value, dict):
            yield path or "(body)", value
        return
    head, rest = steps[0], steps[1:]
    if head == "*":
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _walk(item, rest, f"{path}[{index}]")
    elif isinstance(value, dict) and head in value:
        yield from _walk(value[head], rest, f"{path}.{head}" if path else head)


@attrs.frozen
class OperationFacts:
    """One operation of the spec, as the suite's checks see it (``model`` is the shared spec model's entry)."""

    label: str
    method: str
    path: str
    operation_id: str | None
    path_params: tuple[str, ...]
    # The path parameter naming the resource the operation acts on: the one in the last path segment.
    addressed_by: str | None
    requires_auth: bool
    # Documented 2xx responses: status ("200", "2XX") -> {media type: schema or None}.
    success: Mapping[str, Mapping[str, Any]]
    # True when a 2xx JSON schema declares an ``id`` property.
    id_property: bool
    resource_sites: tuple[ResourceSite, ...]
    model: Operation | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def safe(self) -> bool:
        """GET/HEAD: requests change nothing on the server."""
        return self.method in ("GET", "HEAD")

    @property
    def destructive(self) -> bool:
        """DELETE: a request removes the resource it names."""
        return self.method == "DELETE"

    @property
    def json_success(self) -> bool:
        """Some 2xx response is documented as JSON with a schema."""
        return any(is_json(media) for media_types in self.success.values() for media in media_types)

    def media_types_for(self, status: int) -> tuple[str, ...]:
        """The documented media types of the response for ``status`` (exact code, then ``2XX``)."""
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx"):
            if key in self.success:
                return tuple(self.success[key])
        return ()


class UnknownOperationError(ValueError):
    """A name given to select operations is no operation of the spec (a typo would test nothing, or everything)."""


@attrs.define
class SpecFacts:
    """Facts about every operation of one spec document (read through the shared model, :attr:`model`)."""

    raw: Mapping[str, Any]
    model: Spec
    operations: dict[str, OperationFacts] = attrs.field(factory=dict)
    # Component schemas with a ``status`` enum: name -> its enum values.
    lifecycle_schemas: dict[str, tuple[str, ...]] = attrs.field(factory=dict)

    def operation(self, label: str) -> OperationFacts | None:
        """The facts for ``"METHOD /path"``, or None."""
        return self.operations.get(label)

    def only(self, names: Iterable[str]) -> SpecFacts:
        """These facts restricted to the operations ``names`` gives (labels ``"METHOD /path"`` or operationIds, as
        written in the spec); every operation when ``names`` is empty.

        Raises:
            UnknownOperationError: a name is neither a label nor an operationId of the spec.
        """
        wanted = list(names)
        if not wanted:
            return self
        by_name = {label: label for label in self.operations}
        by_name.update({f.operation_id: label for label, f in self.operations.items() if f.operation_id})
        for name in wanted:
            if name not in by_name:
                known = ", ".join(sorted(by_name))
                raise UnknownOperationError(f"{name!r} is no operation of the spec (operations: {known})")
        chosen = {by_name[name] for name in wanted}
        return attrs.evolve(
            self, operations={label: facts for label, facts in self.operations.items() if label in chosen}
        )

    def resolve(self, schema: Any) -> Any:
        """Follow local ``$ref`` chains (``#/components/schemas/X``); ``{}`` where a reference leads nowhere."""
        try:
            return self.model.resolve(schema)[0]
        except ValueError:  # SpecError: a dangling, remote or looping reference checks nothing
            return {}

    def schema_name(self, schema: Any) -> str | None:
        """``X`` for a ``$ref`` to ``#/components/schemas/X``."""
        return self.model.schema_name(schema)

    def polling_operation(self, schema_name: str) -> OperationFacts | None:
        """A safe operation addressed by a path parameter whose 2xx body is ``schema_name`` itself."""
        for facts in self.operations.values():
            if facts.safe and facts.addressed_by and ResourceSite(schema_name, ()) in facts.resource_sites:
                return facts
        return None


def _lifecycle_schemas(facts: SpecFacts) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for name, schema in facts.model.component_schemas.items():
        resolved = facts.resolve(schema)  # OpenAPI 3.1 allows boolean schemas (``true``): no properties
        properties = resolved.get("properties") if isinstance(resolved, dict) else None
        status = facts.resolve(properties.get("status")) if isinstance(properties, dict) else None
        if isinstance(status, dict) and isinstance(status.get("enum"), list):
            found[str(name)] = tuple(str(value) for value in status["enum"])
    return found


def _sites(facts: SpecFacts, schema: Any, depth: int = 0) -> Iterator[ResourceSite]:
    name = facts.schema_name(schema)
    if name in facts.lifecycle_schemas:
        yield ResourceSite(name, ())
        return
    resolved = facts.resolve(schema)
    if depth > 1 or not isinstance(resolved, dict):
        return
    for prop, sub in (resolved.get("properties") or {}).items():
        sub_resolved = facts.resolve(sub)
        if isinstance(sub_resolved, dict) and sub_resolved.get("type") == "array":
            for site in _sites(facts, sub_resolved.get("items"), depth + 1):
                yield ResourceSite(site.schema_name, (str(prop), "*", *site.steps))
        else:
            for site in _sites(facts, sub, depth + 1):
                yield ResourceSite(site.schema_name, (str(prop), *site.steps))


def _operation(facts: SpecFacts, operation: Operation) -> OperationFacts:
    success: dict[str, dict[str, Any]] = {}
    id_property = False
    sites: list[ResourceSite] = []
    raw_responses = facts.model.at(operation.pointer).get("responses") or {}
    for response in operation.responses:
        if not response.status.startswith("2"):
            continue
        raw = facts.resolve(raw_responses.get(response.status)) or {}
        content = raw.get("content") or {} if isinstance(raw, Mapping) else {}
        # The schema as written ($ref kept): checks name the component a body should be.
        success[response.status] = {str(media): (spec or {}).get("schema") for media, spec in content.items()}
        for media, spec in content.items():
            schema = (spec or {}).get("schema")
            if not is_json(str(media)) or schema is None:
                continue
            resolved = facts.resolve(schema)
            if isinstance(resolved, dict) and "id" in (resolved.get("properties") or {}):
                id_property = True
            sites += [site for site in _sites(facts, schema) if site not in sites]
    return OperationFacts(
        label=operation.key,
        method=operation.method,
        path=operation.path,
        operation_id=operation.operation_id,
        path_params=operation.template.parameters,
        addressed_by=operation.template.last_parameter,
        requires_auth=operation.requires_auth,
        success=success,
        id_property=id_property,
        resource_sites=tuple(sites),
        model=operation,
    )


def facts_for(raw: Mapping[str, Any]) -> SpecFacts:
    """Facts for every operation of a loaded OpenAPI document (computed once per document object)."""
    return _cached(_Key(raw))


@attrs.frozen(eq=False)
class _Key:
    raw: Mapping[str, Any]

    def __hash__(self) -> int:
        return id(self.raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.raw is self.raw


@functools.lru_cache(maxsize=16)
def _cached(key: _Key) -> SpecFacts:
    return _facts(Spec(key.raw if isinstance(key.raw.get("paths", {}), Mapping) else {**key.raw, "paths": {}}))


def _facts(model: Spec) -> SpecFacts:
    facts = SpecFacts(raw=model.document, model=model)
    facts.lifecycle_schemas = _lifecycle_schemas(facts)
    for operation in model.operations:
        facts.operations[operation.key] = _operation(facts, operation)
    return facts


def load_facts(spec: Path) -> SpecFacts:
    """Read ``spec`` (YAML or JSON) and return its facts."""
    return _facts(load(spec))

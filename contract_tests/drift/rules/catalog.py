"""Every rule id with its severity and a one-line reason, for users of the generated client.

Severities: ``breaking`` (code using the client breaks, or requests start failing), ``warning`` (things keep
working but behaviour or expectations shift: review), ``info`` (additions and documentation).

Schema rules are generated: one *fact* (``type-widened``, ``property-removed``, ...) at four *sites*. What
the client **sends** (request bodies, parameters) may be widened by the server but not narrowed; what it
**receives** (response bodies, response headers) may be narrowed but not widened. So one fact has two
severities, and ``request-body-type-widened`` is info while ``response-body-type-widened`` is breaking.
Webhook and callback requests are received by the client and their responses sent by it: they are judged
with the ``response-body-*`` and ``request-body-*`` rules respectively.
"""

from __future__ import annotations

__all__ = ["RULES", "SCHEMA_FACTS", "SENDING_SITES", "SEVERITIES", "SITES", "schema_rule"]

SEVERITIES = ("info", "warning", "breaking")
B, W, I = "breaking", "warning", "info"

# site -> (True when the client sends what the site describes, how the reason reads)
SITES: dict[str, tuple[bool, str]] = {
    "request-body": (True, "request body"),
    "request-parameter": (True, "request parameter"),
    "response-body": (False, "response body"),
    "response-header": (False, "response header"),
}
SENDING_SITES = frozenset(site for site, (sends, _) in SITES.items() if sends)

# fact -> (severity when the client sends the value, severity when it receives it, what changed)
SCHEMA_FACTS: dict[str, tuple[str, str, str]] = {
    "type-changed": (B, B, "a value's type or format changed incompatibly"),
    "type-widened": (I, B, "a value's type or format now admits more (integer -> number, format dropped)"),
    "type-narrowed": (B, I, "a value's type or format now admits less (number -> integer, format added)"),
    "nullable-added": (I, B, "a value may now be null"),
    "nullable-removed": (B, I, "a value may no longer be null"),
    "enum-value-added": (I, W, "an enum gained a value (strict enum parsing rejects values it does not know)"),
    "enum-value-removed": (B, I, "an enum lost a value"),
    "enum-added": (B, I, "a free value became an enum"),
    "enum-removed": (I, W, "an enum became a free value: any value may come"),
    "const-added": (B, I, "a value became a constant"),
    "const-removed": (I, B, "a constant became a free value"),
    "const-changed": (B, B, "a constant value changed"),
    "range-narrowed": (B, I, "a minimum/maximum/length/size bound was tightened"),
    "range-widened": (I, B, "a minimum/maximum/length/size bound was loosened or removed"),
    "range-added": (W, I, "a bound appears where there was none (values outside it start failing)"),
    "pattern-added": (B, I, "a string must now match a pattern"),
    "pattern-removed": (I, I, "a pattern was dropped or now matches any string"),
    "pattern-changed": (W, I, "a pattern changed (values matching the old one may not match the new one)"),
    "default-changed": (B, I, "a default value changed, appeared or disappeared"),
    "deprecated": (I, I, "a value was marked deprecated"),
    "property-added-required": (B, I, "a new required property"),
    "property-added-optional": (I, I, "a new optional property"),
    "property-removed": (W, B, "a required property was removed"),
    "property-removed-optional": (W, W, "an optional property was removed"),
    "property-became-required": (B, I, "an optional property became required"),
    "property-became-optional": (I, B, "a required property became optional (it may be absent)"),
    "additional-properties-narrowed": (B, I, "fewer undeclared properties are allowed"),
    "additional-properties-widened": (I, W, "more undeclared properties are allowed"),
    "variant-added": (I, B, "a oneOf/anyOf variant was added"),
    "variant-removed": (B, I, "a oneOf/anyOf variant was removed"),
    "all-of-added": (B, I, "an allOf subschema with constraints was added"),
    "all-of-removed": (W, I, "an allOf subschema was removed"),
    "wrapped-in-variants": (B, B, "a schema became a oneOf/anyOf: the generated type becomes a union"),
    "discriminator-changed": (I, I, "a discriminator, its property name or its mapping changed"),
    "constraint-added": (B, I, "a JSON Schema constraint was added or tightened (if/then/else, not, contains, ...)"),
    "constraint-removed": (I, B, "a JSON Schema constraint was removed or relaxed"),
    "constraint-changed": (B, B, "a JSON Schema constraint changed incomparably"),
    "prefix-items-added": (I, B, "a tuple (prefixItems) gained a position"),
    "prefix-items-removed": (B, I, "a tuple (prefixItems) lost a position"),
}

# Where a site deliberately departs from its direction's severity (reason in docs/guides/drift.md).
_OVERRIDES = {"request-body-default-changed": W}

# Rules that are not about one schema.
_STATIC: dict[str, tuple[str, str]] = {
    "openapi-version-changed": (W, "the document's OpenAPI version changed; generation may differ"),
    "info-version-changed": (I, "the API's declared version changed"),
    "server-url-changed": (W, "the first server URL (the client's default base URL) changed"),
    "server-added": (I, "a server was added"),
    "server-removed": (W, "a server was removed"),
    "security-added": (B, "an operation that needed no credentials now requires them"),
    "security-removed": (I, "an operation no longer requires credentials"),
    "security-changed": (W, "the schemes or scopes an operation accepts changed"),
    "security-scheme-changed": (B, "a security scheme's type, scheme, location or name changed"),
    "security-scheme-removed": (W, "a security scheme was removed"),
    "security-scheme-added": (I, "a security scheme was added"),
    "operation-removed": (B, "an operation (and its generated function) disappeared"),
    "operation-removed-after-deprecation": (I, "a deprecated operation whose sunset passed (or had none) was removed"),
    "operation-removed-before-sunset": (B, "a deprecated operation was removed before its x-sunset date"),
    "operation-added": (I, "a new operation (and generated function) appeared"),
    "operation-id-changed": (B, "operationId changed: the generated module and function are renamed"),
    "operation-deprecated": (W, "an operation was marked deprecated (plan the migration; see x-sunset)"),
    "operation-reactivated": (I, "an operation is no longer deprecated"),
    "operation-sunset-brought-forward": (B, "a deprecated operation's x-sunset was removed or moved earlier"),
    "operation-stability-decreased": (B, "x-stability-level went down (stable > beta > alpha > draft)"),
    "operation-doc-changed": (I, "an operation's summary or description changed"),
    "request-parameter-added-required": (B, "a new required parameter: existing calls lack it"),
    "request-parameter-added-optional": (I, "a new optional parameter"),
    "request-parameter-removed": (W, "a parameter was removed (the import-surface diff reports the signature)"),
    "request-parameter-removed-after-deprecation": (I, "a deprecated parameter was removed"),
    "request-parameter-became-required": (B, "an optional parameter became required"),
    "request-parameter-became-optional": (I, "a required parameter became optional"),
    "request-parameter-serialization-changed": (B, "style/explode/allowReserved/content changed: the wire form differs"),
    "request-path-parameter-renamed": (I, "a path parameter was renamed (same position; the generated argument is renamed)"),
    "request-body-added-required": (B, "the operation now requires a request body"),
    "request-body-added-optional": (I, "the operation accepts an optional request body"),
    "request-body-removed": (B, "the operation no longer takes a request body"),
    "request-body-became-required": (B, "the request body became required"),
    "request-body-became-optional": (I, "the request body became optional"),
    "request-media-type-removed": (B, "a request media type is no longer accepted"),
    "request-media-type-added": (I, "a request media type is now accepted"),
    "request-media-type-generalized": (I, "a request media type was widened (application/json -> application/*)"),
    "request-media-type-specialized": (B, "a request media type was narrowed (application/* -> application/json)"),
    "media-type-parameters-changed": (I, "only a media type's parameters changed (charset=..., q=...)"),
    "response-status-removed": (B, "a documented success (2xx) response status was removed"),
    "response-non-success-status-removed": (I, "a documented non-success response status was removed"),
    "response-status-added": (I, "a response status is now documented (perhaps closing a spec gap)"),
    "response-media-type-removed": (B, "a response media type was removed"),
    "response-media-type-added": (I, "a response media type was added"),
    "response-media-type-generalized": (B, "a response media type was widened: other content may arrive"),
    "response-media-type-specialized": (I, "a response media type was narrowed"),
    "response-header-added": (I, "a response header is now documented"),
    "response-header-removed": (W, "an optional response header was removed"),
    "response-header-required-removed": (B, "a required response header was removed"),
    "response-header-became-optional": (B, "a required response header may now be absent"),
    "response-header-became-required": (I, "a response header is now always present"),
    "webhook-added": (I, "a webhook was added"),
    "webhook-removed": (B, "a webhook (requests the client's server receives) was removed"),
    "callback-added": (I, "an operation gained a callback"),
    "callback-removed": (B, "an operation's callback was removed"),
}


def schema_rule(site: str, fact: str) -> str:
    """The rule id of ``fact`` observed at ``site`` (``request-body`` + ``type-changed``)."""
    return f"{site}-{fact}"


def _catalog() -> dict[str, tuple[str, str]]:
    rules = dict(_STATIC)
    for site, (sends, label) in SITES.items():
        for fact, (when_sent, when_received, meaning) in SCHEMA_FACTS.items():
            rule = schema_rule(site, fact)
            rules[rule] = (_OVERRIDES.get(rule, when_sent if sends else when_received), f"{label}: {meaning}")
    return rules


# rule id -> (severity, what it means for users of the generated client)
RULES: dict[str, tuple[str, str]] = _catalog()

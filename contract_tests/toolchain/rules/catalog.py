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
BRK, WRN, INF = "breaking", "warning", "info"

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
    "type-changed": (BRK, BRK, "a value's type or format changed incompatibly (or its generated Python type)"),
    "type-widened": (INF, BRK, "a value's type or format now admits more (integer -> number, format dropped)"),
    "type-narrowed": (BRK, INF, "a value's type or format now admits less (number -> integer, format added)"),
    "nullable-added": (INF, BRK, "a value may now be null"),
    "nullable-removed": (BRK, INF, "a value may no longer be null"),
    "enum-value-added": (INF, WRN, "an enum gained a value (strict enum parsing rejects values it does not know)"),
    "enum-value-removed": (BRK, INF, "an enum lost a value"),
    "enum-added": (BRK, INF, "a free value became an enum"),
    "enum-removed": (INF, WRN, "an enum became a free value: any value may come"),
    "const-added": (BRK, INF, "a value became a constant"),
    "const-removed": (INF, BRK, "a constant became a free value"),
    "const-changed": (BRK, BRK, "a constant value changed"),
    "range-narrowed": (BRK, INF, "a minimum/maximum/length/size bound was tightened"),
    "range-widened": (INF, BRK, "a minimum/maximum/length/size bound was loosened or removed"),
    "range-added": (WRN, INF, "a bound appears where there was none (values outside it start failing)"),
    "pattern-added": (BRK, INF, "a string must now match a pattern"),
    "pattern-removed": (INF, INF, "a pattern was dropped or now matches any string"),
    "pattern-changed": (WRN, INF, "a pattern changed (values matching the old one may not match the new one)"),
    "default-added": (INF, INF, "a default value appeared (what is omitted now has a documented value)"),
    "default-removed": (WRN, INF, "a default value disappeared (an omitted value may be treated differently)"),
    "default-changed": (BRK, INF, "a default value changed (calls that omit the value behave differently)"),
    "deprecated": (INF, INF, "a value was marked deprecated"),
    "property-added-required": (BRK, INF, "a new required property"),
    "property-added-optional": (INF, INF, "a new optional property"),
    "property-removed": (WRN, BRK, "a required property was removed"),
    "property-removed-optional": (WRN, WRN, "an optional property was removed"),
    "property-became-required": (BRK, INF, "an optional property became required"),
    "property-became-optional": (INF, BRK, "a required property became optional (it may be absent)"),
    "additional-properties-narrowed": (BRK, INF, "fewer undeclared properties are allowed (a map's entries, ...)"),
    "additional-properties-closed": (
        WRN,
        INF,
        "an object no longer accepts undeclared properties (objects built from the declared ones still pass; the "
        "generated model loses `additional_properties`)",
    ),
    "additional-properties-widened": (INF, WRN, "more undeclared properties are allowed"),
    "variant-added": (INF, BRK, "a oneOf/anyOf alternative no old one covers was added (nested unions flattened)"),
    "variant-removed": (BRK, INF, "a oneOf/anyOf alternative no new one covers was removed (nested unions flattened)"),
    "all-of-added": (BRK, INF, "an allOf subschema with constraints was added"),
    "all-of-removed": (WRN, INF, "an allOf subschema was removed"),
    "discriminator-changed": (INF, INF, "a discriminator, its property name or its mapping changed"),
    "constraint-added": (
        BRK,
        INF,
        "a JSON Schema constraint was added or tightened (if/then/else, not, contains, ...)",
    ),
    "constraint-removed": (INF, BRK, "a JSON Schema constraint was removed or relaxed"),
    "constraint-changed": (BRK, BRK, "a JSON Schema constraint changed incomparably"),
    "prefix-items-added": (INF, BRK, "a tuple (prefixItems) gained a position"),
    "prefix-items-removed": (BRK, INF, "a tuple (prefixItems) lost a position"),
}

# Where a site deliberately departs from its direction's severity (reason in docs/guides/drift.md).
# A request body's property default changing is a warning: the body is built by the client, which usually sends it.
_OVERRIDES = {"request-body-default-changed": WRN}

# Rules that are not about one schema.
_STATIC: dict[str, tuple[str, str]] = {
    "openapi-version-changed": (WRN, "the document's OpenAPI version changed; generation may differ"),
    "info-version-changed": (INF, "the API's declared version changed"),
    "server-url-changed": (WRN, "the first server URL (the client's default base URL) changed"),
    "server-added": (INF, "a server was added"),
    "server-removed": (WRN, "a server was removed"),
    "security-added": (WRN, "an operation that needed no credentials now requires them (configure a key)"),
    "security-removed": (INF, "an operation no longer requires credentials"),
    "security-changed": (WRN, "the schemes or scopes an operation accepts changed"),
    "security-scheme-changed": (BRK, "a security scheme's type, scheme, location or name changed"),
    "security-scheme-removed": (WRN, "a security scheme was removed"),
    "security-scheme-added": (INF, "a security scheme was added"),
    "operation-removed": (BRK, "an operation (and its generated function) disappeared"),
    "operation-removed-after-deprecation": (
        INF,
        "a deprecated operation whose sunset passed (or had none) was removed",
    ),
    "operation-removed-before-sunset": (BRK, "a deprecated operation was removed before its x-sunset date"),
    "operation-added": (INF, "a new operation (and generated function) appeared"),
    "schema-renamed": (BRK, "a component schema was renamed: its generated model class is renamed"),
    "operation-id-changed": (BRK, "operationId changed: the generated module and function are renamed"),
    "operation-deprecated": (WRN, "an operation was marked deprecated (plan the migration; see x-sunset)"),
    "operation-reactivated": (INF, "an operation is no longer deprecated"),
    "operation-sunset-brought-forward": (BRK, "a deprecated operation's x-sunset was removed or moved earlier"),
    "operation-stability-decreased": (BRK, "x-stability-level went down (stable > beta > alpha > draft)"),
    "operation-doc-changed": (INF, "an operation's summary or description changed"),
    "request-parameter-added-required": (BRK, "a new required parameter: existing calls lack it"),
    "request-parameter-added-optional": (INF, "a new optional parameter"),
    "request-parameter-removed": (WRN, "a parameter was removed (the import-surface diff reports the signature)"),
    "request-parameter-removed-after-deprecation": (INF, "a deprecated parameter was removed"),
    "request-parameter-became-required": (BRK, "an optional parameter became required"),
    "request-parameter-became-optional": (INF, "a required parameter became optional"),
    "request-parameter-serialization-changed": (
        BRK,
        "style/explode/allowReserved/content changed: the wire form differs",
    ),
    "request-path-parameter-renamed": (
        BRK,
        "a path parameter was renamed (same position on the wire; the generated argument is renamed: keyword calls "
        "break, and a renamed parameter often means another value)",
    ),
    "request-body-added-required": (BRK, "the operation now requires a request body"),
    "request-body-added-optional": (INF, "the operation accepts an optional request body"),
    "request-body-removed": (BRK, "the operation no longer takes its required request body"),
    "request-body-removed-optional": (
        WRN,
        "an optional request body was removed (calls that send none still work; the generated `body` argument goes)",
    ),
    "request-body-became-required": (BRK, "the request body became required"),
    "request-body-became-optional": (INF, "the request body became optional"),
    "request-media-type-removed": (BRK, "a request media type is no longer accepted"),
    "request-media-type-added": (INF, "a request media type is now accepted"),
    "request-media-type-generalized": (INF, "a request media type was widened (application/json -> application/*)"),
    "request-media-type-specialized": (BRK, "a request media type was narrowed (application/* -> application/json)"),
    "media-type-parameters-changed": (INF, "only a media type's parameters changed (charset=..., q=...)"),
    "response-status-removed": (BRK, "a documented success (2xx) response status was removed"),
    "response-non-success-status-removed": (INF, "a documented non-success response status was removed"),
    "response-status-added": (INF, "a response status is now documented (perhaps closing a spec gap)"),
    "response-media-type-removed": (BRK, "a response media type was removed"),
    "response-media-type-added": (INF, "a response media type was added"),
    "response-media-type-generalized": (BRK, "a response media type was widened: other content may arrive"),
    "response-media-type-specialized": (INF, "a response media type was narrowed"),
    "response-header-added": (INF, "a response header is now documented"),
    "response-header-removed": (WRN, "an optional response header was removed"),
    "response-header-required-removed": (BRK, "a required response header was removed"),
    "response-header-became-optional": (BRK, "a required response header may now be absent"),
    "response-header-became-required": (INF, "a response header is now always present"),
    "webhook-added": (INF, "a webhook was added"),
    "webhook-removed": (BRK, "a webhook (requests the client's server receives) was removed"),
    "callback-added": (INF, "an operation gained a callback"),
    "callback-removed": (BRK, "an operation's callback was removed"),
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

"""``tokenops.__all__`` is exactly the public surface (as httpx tests its own)."""

from __future__ import annotations

import types

import tokenops
import tokenops.redaction

# Public submodules: imported as `tokenops.<name>`, documented, not re-exported name by name.
PUBLIC_MODULES = {"operations", "redaction", "spec", "sse"}


def test_all_is_exactly_the_public_names() -> None:
    public = {name for name in dir(tokenops) if not name.startswith("_")}
    assert set(tokenops.__all__) - {"__version__"} == public - PUBLIC_MODULES
    assert len(tokenops.__all__) == len(set(tokenops.__all__))
    assert all(isinstance(getattr(tokenops, name), types.ModuleType) for name in PUBLIC_MODULES)


def test_redaction_all_is_exactly_its_public_names() -> None:
    module = tokenops.redaction
    public = {
        name
        for name, member in vars(module).items()
        if not name.startswith("_")
        and getattr(member, "__module__", module.__name__) == module.__name__
        and not isinstance(member, types.ModuleType)
        and name not in {"annotations", "Any"}
    }
    assert set(module.__all__) == public


def test_spec_all_is_exactly_its_public_names() -> None:
    module = tokenops.spec
    public = {name for name in vars(module) if not name.startswith("_") and name not in {"annotations"}}
    modules = {name for name in public if isinstance(getattr(module, name), types.ModuleType)}
    assert set(module.__all__) == public - modules - {"functools", "json", "resources", "Path"}


def test_every_exported_member_belongs_to_tokenops_or_is_a_deliberate_re_export() -> None:
    re_exported = {"VideoError", "VideoObject", "VideoSize", "UNSET", "Unset", "DEFAULT_TIMEOUT"}
    for name in tokenops.__all__:
        member = getattr(tokenops, name)
        module = getattr(member, "__module__", "tokenops")
        if name in re_exported:
            continue
        assert module is None or module.startswith("tokenops"), (name, module)
        assert not module.startswith("tokenops_client"), name


def test_error_tree_shape() -> None:
    assert issubclass(tokenops.APITimeoutError, tokenops.APIConnectionError)
    for name in ("BadRequestError", "AuthenticationError", "PermissionDeniedError", "NotFoundError"):
        assert issubclass(getattr(tokenops, name), tokenops.APIStatusError)
    for name in ("RateLimitError", "InternalServerError"):
        assert issubclass(getattr(tokenops, name), tokenops.APIStatusError)
    for name in ("APIConnectionError", "APIStatusError", "ResponseValidationError", "ConfigurationError"):
        assert issubclass(getattr(tokenops, name), tokenops.TokenOpsError)
    for name in ("VideoGenerationFailed", "WaitTimeout"):
        assert issubclass(getattr(tokenops, name), tokenops.TokenOpsError)


def test_openai_style_error_tree() -> None:
    status = tokenops.APIStatusError
    for name in ("ConflictError", "UnprocessableEntityError", "RequestTimeoutError"):
        assert issubclass(getattr(tokenops, name), status)
    assert issubclass(tokenops.RequestTimeoutError, tokenops.APITimeoutError)  # 408 is under the timeout branch
    for name in ("APIConnectionError", "APIStatusError", "ResponseValidationError"):
        assert issubclass(getattr(tokenops, name), tokenops.APIError)
    assert issubclass(tokenops.InvalidArgumentError, tokenops.TokenOpsError)
    assert issubclass(tokenops.InvalidArgumentError, ValueError)
    assert issubclass(tokenops.ClientClosedError, tokenops.TokenOpsError)
    assert not issubclass(tokenops.ClientClosedError, tokenops.APIConnectionError)  # never retried

"""``tokenops.__all__`` is exactly the public surface (as httpx tests its own)."""

from __future__ import annotations

import tokenops


def test_all_is_exactly_the_public_names() -> None:
    public = {name for name in dir(tokenops) if not name.startswith("_")}
    assert set(tokenops.__all__) - {"__version__"} == public
    assert len(tokenops.__all__) == len(set(tokenops.__all__))


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

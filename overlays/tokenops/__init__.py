"""The ergonomic, forward-compatible client for the TokenOps AI video API.

>>> from tokenops import TokenOps
>>> client = TokenOps()                       # TOKENOPS_API_KEY / TOKENOPS_BASE_URL from the environment
>>> video = client.videos.wait("video_123")   # doctest: +SKIP
"""

from tokenops import operations as operations  # public submodules, imported for `tokenops.operations.find` etc.
from tokenops import redaction as redaction
from tokenops._client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncTokenOps,
    TokenOps,
)
from tokenops._clock import Clock, SystemClock
from tokenops._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    TokenOpsError,
    VideoGenerationFailed,
    WaitTimeout,
)
from tokenops._models import Video, VideoStatus, parse_model, parse_video
from tokenops._version import __version__
from tokenops._videos import AsyncVideos, Videos
from tokenops_client.models import OpenAIVideoError as VideoError
from tokenops_client.models import VideoStatusResponseObject as VideoObject
from tokenops_client.models import VideoStatusResponseSize as VideoSize
from tokenops_client.types import UNSET, Unset

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "UNSET",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncTokenOps",
    "AsyncVideos",
    "AuthenticationError",
    "BadRequestError",
    "Clock",
    "ConfigurationError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "SystemClock",
    "TokenOps",
    "TokenOpsError",
    "Unset",
    "Video",
    "VideoError",
    "VideoGenerationFailed",
    "VideoObject",
    "VideoSize",
    "VideoStatus",
    "Videos",
    "WaitTimeout",
    "__version__",
    "parse_model",
    "parse_video",
]

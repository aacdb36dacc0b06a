"""The ergonomic, forward-compatible client for the TokenOps AI video API.

>>> from tokenops import TokenOps
>>> client = TokenOps()                       # TOKENOPS_API_KEY / TOKENOPS_BASE_URL from the environment
>>> video = client.videos.wait("video_123")   # doctest: +SKIP
"""

from tokenops import operations as operations  # public submodules, imported for `tokenops.operations.find` etc.
from tokenops import redaction as redaction
from tokenops import spec as spec
from tokenops import sse as sse
from tokenops._calls import AsyncOperations, Operations
from tokenops._client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncTokenOps,
    TokenOps,
)
from tokenops._clock import Clock, SystemClock
from tokenops._config import NOT_GIVEN, NotGiven
from tokenops._download import AsyncDownload, Download
from tokenops._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    TokenOpsError,
    TokenOpsWarning,
    UnprocessableEntityError,
    VideoGenerationFailed,
    WaitTimeout,
)
from tokenops._logging import configure_from_env as _configure_logging
from tokenops._models import RawResponse, ResponseInfo, Video, VideoStatus, response_info
from tokenops._pagination import AsyncPage, AsyncPaginator, Page
from tokenops._streaming import AsyncStream, Stream
from tokenops._tolerance import parse_model, parse_video
from tokenops._transports import DefaultAioHttpClient
from tokenops._version import __version__
from tokenops._videos import AsyncVideos, Videos
from tokenops_client.models import OpenAIVideoError as VideoError
from tokenops_client.models import VideoStatusResponseObject as VideoObject
from tokenops_client.models import VideoStatusResponseSize as VideoSize
from tokenops_client.types import UNSET, Unset

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncDownload",
    "AsyncOperations",
    "AsyncPage",
    "AsyncPaginator",
    "AsyncStream",
    "AsyncTokenOps",
    "AsyncVideos",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "Clock",
    "ConfigurationError",
    "ConflictError",
    "DefaultAioHttpClient",
    "Download",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "NotGiven",
    "Operations",
    "Page",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "RequestTimeoutError",
    "ResponseInfo",
    "ResponseValidationError",
    "Stream",
    "SystemClock",
    "TokenOps",
    "TokenOpsError",
    "TokenOpsWarning",
    "UnprocessableEntityError",
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
    "response_info",
]

_configure_logging()  # TOKENOPS_LOG, read once: nothing else configures logging unless asked (tokenops --debug)

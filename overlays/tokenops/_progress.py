"""What ``tokenops videos wait`` shows while it waits: the real state (connecting, retrying: why, the job's
status) and an ETA from the progress rate; a rich bar on a terminal with the ``cli`` extra, plain lines else."""

from __future__ import annotations

from typing import Any, Protocol, TextIO

from tokenops._clock import Clock
from tokenops._errors import APIConnectionError, APIStatusError, TokenOpsError
from tokenops._models import Video
from tokenops.redaction import redact

__all__ = ["Display", "ProgressRate", "display_for", "retry_reason"]

ETA_MIN_SAMPLE_SECONDS = 1.0  # below this the rate is noise


class ProgressRate:
    """Estimates the seconds left from how fast ``progress`` has been rising since the first report."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.first: tuple[float, int] | None = None

    def eta(self, progress: object) -> float | None:
        """Seconds until 100 % at the rate seen so far, or None while there is no usable rate."""
        if not isinstance(progress, int) or isinstance(progress, bool):
            return None
        now = self.clock.monotonic()
        if self.first is None or progress < self.first[1]:
            self.first = (now, progress)
            return None
        elapsed, gained = now - self.first[0], progress - self.first[1]
        if elapsed < ETA_MIN_SAMPLE_SECONDS or gained <= 0:
            return None
        return max(0.0, (100 - progress) * elapsed / gained)


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "eta --"
    minutes, secs = divmod(round(seconds), 60)
    return f"eta {minutes}m{secs:02d}s" if minutes else f"eta {secs}s"


def retry_reason(error: TokenOpsError) -> str:
    """A few words on why a poll failed, with the URL for connection problems."""
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code}"
    if isinstance(error, APIConnectionError) and error.request is not None:
        return redact(str(error))
    return redact(str(error))[:200]


class Display(Protocol):
    def progress(self, video: Video) -> None: ...
    def retry(self, error: TokenOpsError, delay: float) -> None: ...
    def close(self) -> None: ...


class PlainDisplay:
    """One line per change on ``err`` (``ID STATUS PCT%``, stable for scripts); retries say why at once."""

    def __init__(self, video_id: str, err: TextIO) -> None:
        self.video_id, self.err = video_id, err

    def progress(self, video: Video) -> None:
        progress = f" {video.progress}%" if isinstance(video.progress, int) else ""
        print(f"{video.id} {video.status_text}{progress}", file=self.err, flush=True)

    def retry(self, error: TokenOpsError, delay: float) -> None:
        print(f"{self.video_id} retrying in {delay:.1f}s: {retry_reason(error)}", file=self.err, flush=True)

    def close(self) -> None:
        return None


class RichDisplay:
    """A rich progress bar whose label is the real state and whose last column is the ETA."""

    def __init__(self, video_id: str, err: TextIO, clock: Clock) -> None:
        from rich.console import Console  # noqa: PLC0415 - the `cli` extra, only on a terminal
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn  # noqa: PLC0415

        self.video_id, self.rate = video_id, ProgressRate(clock)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[eta]}"),
        )
        self.bar: Any = Progress(*columns, console=Console(file=err), transient=False)
        self.bar.start()
        self.task = self.bar.add_task(f"{video_id} connecting", total=100, eta=format_eta(None))

    def progress(self, video: Video) -> None:
        completed = video.progress if isinstance(video.progress, int) else None
        eta = "" if video.is_terminal else format_eta(self.rate.eta(video.progress))
        self.bar.update(self.task, description=f"{video.id} {video.status_text}", completed=completed, eta=eta)

    def retry(self, error: TokenOpsError, delay: float) -> None:
        reason = retry_reason(error)
        self.bar.update(self.task, description=f"{self.video_id} retrying in {delay:.1f}s: {reason}")

    def close(self) -> None:
        self.bar.stop()


def display_for(video_id: str, err: TextIO, clock: Clock) -> Display:
    """The rich bar on a terminal when rich is installed, else plain lines."""
    if err.isatty():
        try:
            import rich  # noqa: F401, PLC0415 - optional: the `cli` extra
        except ImportError:
            pass
        else:
            return RichDisplay(video_id, err, clock)
    return PlainDisplay(video_id, err)

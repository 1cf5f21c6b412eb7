"""Running `git` on a repository we are asked to read, never one we trust.

Every call gets the same hardened configuration: no fsmonitor hook and no signature
check (a repository's own config could name a program to run; `log` callers also pass
--no-ext-diff and --no-textconv for the same reason), no pager or prompt, UTF-8 output
and unquoted paths. `GIT_*` variables of the calling environment are
dropped, so a `GIT_DIR` left over from a hook cannot make us read another repository.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

_CONFIG = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.quotePath=false",
    "-c",
    "i18n.logOutputEncoding=UTF-8",
    "-c",
    "log.showSignature=false",
)


class GitError(RuntimeError):
    """A git command failed; the message carries git's own explanation."""


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C")
    return env


def _argv(repo: Path, args: Sequence[str]) -> list[str]:
    return ["git", "-C", str(repo), *_CONFIG, *args]


def run(repo: Path, *args: str, input_bytes: bytes | None = None, check: bool = True) -> bytes:
    """The command's stdout; raises GitError when it fails (unless `check` is False)."""
    try:
        done = subprocess.run(_argv(repo, args), input=input_bytes, capture_output=True, env=_env())
    except FileNotFoundError:
        raise GitError("the `git` command is not installed") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise GitError(f"git {args[0]} in {repo}: {message}")
    return done.stdout


def text(repo: Path, *args: str) -> str:
    return run(repo, *args).decode("utf-8", "replace")


def succeeds(repo: Path, *args: str) -> bool:
    try:
        done = subprocess.run(_argv(repo, args), capture_output=True, env=_env())
    except FileNotFoundError:
        raise GitError("the `git` command is not installed") from None
    return done.returncode == 0


def stream_lines(repo: Path, *args: str) -> Iterator[str]:
    """Lines of stdout as git writes them, so a long history is never held in memory twice."""
    try:
        process = subprocess.Popen(_argv(repo, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    except FileNotFoundError:
        raise GitError("the `git` command is not installed") from None
    assert process.stdout is not None and process.stderr is not None
    try:
        for raw in process.stdout:
            yield raw.decode("utf-8", "replace").rstrip("\n")
    finally:
        process.stdout.close()
        stderr = process.stderr.read().decode("utf-8", "replace").strip()
        process.stderr.close()
        status = process.wait()
    if status != 0:
        raise GitError(f"git {args[0]} in {repo}: {stderr or f'exit status {status}'}")

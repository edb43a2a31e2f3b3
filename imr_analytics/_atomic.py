"""Writing output files so that a failed run leaves the previous ones intact.

Reports are rewritten in place by scheduled runs; a full disk or a kill half way through a
plain ``write_text`` leaves a truncated ``.ipynb`` (invalid JSON) beside a stale ``.html``.
Here every file is written to a hidden temporary file in the same folder (same file system,
so the rename is atomic), flushed to disk, and only then renamed over the old one; a run
that writes several files writes them all before renaming any.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["OutputError", "output_dir", "try_copy", "write_files"]


class OutputError(RuntimeError):
    """An output folder or file cannot be written; the message is one sentence."""


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or str(exc)


def output_dir(path: str | os.PathLike[str], *, for_what: str = "the report") -> Path:
    """The ``--out`` folder, created if missing; an existing file or a folder that cannot be
    written is refused before any work is done. ``for_what`` names what goes into it."""
    folder = Path(path).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--out {folder} is a file, not a folder; give a folder for {for_what}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {folder}: {_reason(exc)}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"the folder {folder} is not writable (permission denied)")
    return folder


def write_files(contents: dict[Path, str | bytes]) -> None:
    """Write every file to a temporary twin, then rename them all into place.

    When any write fails nothing is renamed and the temporaries are removed, so the files
    of the previous run stay as they were, together.
    """
    done: list[tuple[Path, Path]] = []
    try:
        for target, data in contents.items():
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            tmp = Path(tmp_name)
            done.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(OSError):  # a new file gets the usual umask permissions
                os.chmod(tmp, 0o666 & ~_umask())
        for tmp, target in done:
            os.replace(tmp, target)
    except OSError as exc:
        for tmp, _ in done:
            with contextlib.suppress(OSError):
                tmp.unlink()
        names = ", ".join(t.name for t in contents)
        folder = next(iter(contents)).parent
        raise OutputError(
            f"cannot write {names} in {folder}: {_reason(exc)}; the previous files are unchanged"
        ) from None


def try_copy(source: Path, target: Path) -> Path | None:
    """Copy a file atomically when possible; ``None`` when it cannot be written (used for
    the executed copy of a failed report, which must not hide the report's own error)."""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp_name)
            os.replace(tmp_name, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
    except OSError:
        return None
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

"""Weight files an operator installs, whatever the engine: where they live, their SHA-256, and the
atomic install every engine's files go through (`manage.py install_weights`).

A file is written to a temporary name beside its destination while its SHA-256 is computed, checked
against the checksum the operator gave or the manifest records, handed to the engine's own check
(keys, shapes, dtypes), and only then renamed into place with `os.replace`: a worker never sees a
half-written or unverified file, and a failed install leaves nothing behind. Nothing here downloads.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from tryon.pipeline.contract import WeightsError

WEIGHTS_DIR_ENV = "REVETIR_WEIGHTS_DIR"
DEFAULT_WEIGHTS_DIR = Path("weights")
COPY_CHUNK_BYTES = 1 << 20
INSTALLED_FILE_MODE = 0o644
SHA256_HEX_LENGTH = 64

ProgressCallback = Callable[[int, int | None], None]  # (bytes done, total bytes or None)
# Checks the written temporary file and returns where it belongs (relative to the destination folder).
CandidateCheck = Callable[[Path], Path]


def weights_dir_from_env() -> Path:
    """`REVETIR_WEIGHTS_DIR`, or `weights/` (the Django setting TRYON_WEIGHTS_DIR reads the same variable)."""
    return Path(os.environ.get(WEIGHTS_DIR_ENV) or DEFAULT_WEIGHTS_DIR)


def file_sha256(path: str | os.PathLike[str], progress: ProgressCallback | None = None) -> str:
    """Hex SHA-256 of a file; `progress` hears the bytes read so far (a 2 GB file takes seconds)."""
    path = Path(path)
    total = path.stat().st_size
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as stream:
        while chunk := stream.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def normalise_sha256(value: str, *, label: str) -> str:
    """A SHA-256 as given by an operator (any case, surrounding spaces); WeightsError when it is not one."""
    cleaned = value.strip().lower()
    if len(cleaned) != SHA256_HEX_LENGTH or any(char not in "0123456789abcdef" for char in cleaned):
        raise WeightsError(f"{label}: {value!r} is not a SHA-256 (64 hexadecimal digits).")
    return cleaned


def copy_with_progress(
    source: IO[bytes], target: IO[bytes], total: int | None, progress: ProgressCallback | None
) -> str:
    """Copy a stream in chunks, reporting progress; returns the hex SHA-256 of what was copied."""
    digest = hashlib.sha256()
    done = 0
    while chunk := source.read(COPY_CHUNK_BYTES):
        target.write(chunk)
        digest.update(chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    return digest.hexdigest()


def install_stream(
    source: IO[bytes],
    *,
    dest_dir: str | os.PathLike[str],
    source_label: str,
    check: CandidateCheck,
    total_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    expected_sha256: str | None = None,
) -> tuple[Path, str]:
    """Write `source` to a temporary file in `dest_dir`, compare its SHA-256 with `expected_sha256`
    (when given), run `check` on it (which raises WeightsError, or says where the file belongs under
    `dest_dir`), then move it there atomically. Returns (installed path, SHA-256). On any failure the
    temporary file is removed and the error raised; an older file at the destination is untouched."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(dir=dest_dir, prefix=".installing-", suffix=".part")
    temp_path = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            sha256 = copy_with_progress(source, handle, total_bytes, progress)
            handle.flush()
            os.fsync(handle.fileno())
        if expected_sha256 is not None and sha256 != expected_sha256:
            raise WeightsError(
                f"{source_label} has SHA-256 {sha256}, not the expected {expected_sha256}: it is another file or "
                "was damaged on the way; nothing was installed."
            )
        target = dest_dir / check(temp_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp_path.chmod(INSTALLED_FILE_MODE)  # mkstemp makes it owner-only; workers may run as another user
        os.replace(temp_path, target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return target, sha256

"""Install the body model files: `python -m tryon.pipeline.body.install [--wheel WHEEL] [--force]`.

Takes the three `.tflite` files out of the mediapipe wheel recorded in `weights/manifest.json`
(downloaded with `pip download --no-deps`, never installed: it pins numpy<2), checks each against its
SHA-256 and moves it into `$REVETIR_WEIGHTS_DIR/mediapipe/`. A file that is already there and verified
is left alone, so `make install` can run this every time. Each file is written to a temporary name
first and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from tryon.pipeline.body.models import (
    MANIFEST_KEY,
    MANIFEST_PATH,
    BodyModelMissingError,
    ModelFile,
    check_model_file,
    models_dir_from_env,
    read_manifest,
)

EXIT_INSTALL_FAILED = 1


class BodyModelInstallError(RuntimeError):
    """The wheel could not be fetched or a file in it is not the one the manifest names."""


def wheel_requirement() -> str:
    import json

    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))[MANIFEST_KEY]["wheel"]


def download_wheel(directory: Path) -> Path:
    """`pip download` the mediapipe wheel for this Python into `directory` and return its path."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        wheel_requirement(),
        "-d",
        str(directory),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (fixed argv)
    wheels = sorted(directory.glob("mediapipe-*.whl"))
    if completed.returncode != 0 or not wheels:
        raise BodyModelInstallError(
            f"Could not download {wheel_requirement()} with pip: {completed.stderr.strip() or 'no wheel found'}. "
            "Download it on a machine with access to PyPI and pass it with --wheel."
        )
    return wheels[0]


def extract_model(wheel: zipfile.ZipFile, model: ModelFile, models_dir: Path) -> Path:
    """Copy one model out of the wheel, verify it, then rename it into place."""
    data = wheel.read(model.wheel_path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != model.sha256:
        raise BodyModelInstallError(
            f"{model.wheel_path} in {wheel.filename} has SHA-256 {digest}, "
            f"weights/manifest.json expects {model.sha256}."
        )
    target = models_dir / model.filename
    handle, temp_name = tempfile.mkstemp(dir=models_dir, prefix=f".{model.filename}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def install_body_models(
    *, models_dir: Path | None = None, wheel_path: Path | None = None, force: bool = False
) -> list[Path]:
    """Make every body model file present and verified; returns the files written (empty when all were there)."""
    models_dir = models_dir or models_dir_from_env()
    models_dir.mkdir(parents=True, exist_ok=True)
    needed = []
    for model in read_manifest().values():
        try:
            if force:
                raise BodyModelMissingError("reinstall", path=models_dir / model.filename)
            check_model_file(model, models_dir)
        except BodyModelMissingError:
            needed.append(model)
    if not needed:
        return []
    with tempfile.TemporaryDirectory() as download_dir:
        wheel_file = wheel_path or download_wheel(Path(download_dir))
        with zipfile.ZipFile(wheel_file) as wheel:
            return [extract_model(wheel, model, models_dir) for model in needed]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tryon.pipeline.body.install", description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", type=Path, help="a mediapipe wheel already downloaded (default: pip download it)")
    parser.add_argument("--dest", type=Path, help="target folder (default: $REVETIR_WEIGHTS_DIR/mediapipe)")
    parser.add_argument("--force", action="store_true", help="reinstall files that are already verified")
    arguments = parser.parse_args(argv)
    try:
        written = install_body_models(models_dir=arguments.dest, wheel_path=arguments.wheel, force=arguments.force)
    except (BodyModelInstallError, OSError, zipfile.BadZipFile, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INSTALL_FAILED
    target = arguments.dest or models_dir_from_env()
    if written:
        for path in written:
            print(f"installed {path}")
    else:
        print(f"body model files in {target} are present and verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())

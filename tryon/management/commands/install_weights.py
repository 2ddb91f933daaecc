"""`manage.py install_weights`: put the official try-on weights where the workers find them.

Copies (`--from DIR_OR_FILE`) or downloads (`--url URL`) weight files: the neural engine's
checkpoints (each checked to be one of the registered checkpoints: loadable, exact keys and shapes)
and FASHN VTON v1.5's `model.safetensors` (SHA-256 checked against `--sha256` or the one the manifest
records; keys, shapes and dtypes read from its header) with DWPose's optional ONNX files. Each is
moved into the weights directory atomically, so a worker never sees a half-written file. Without
arguments it reports what is installed, whether each engine can run, and where missing files come from.
"""

from __future__ import annotations

from pathlib import Path

import requests
import urllib3
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tryon.pipeline.body.models import INSTALL_COMMAND, MODELS_SUBDIR, model_statuses
from tryon.pipeline.contract import WeightsError
from tryon.pipeline.fashn import files as fashn_files
from tryon.pipeline.neural.weights import (
    CHECKPOINTS,
    CHECKPOINTS_BY_FILENAME,
    CheckpointSpec,
    file_sha256,
    find_checkpoint_files,
    install_checkpoint_file,
    install_checkpoint_stream,
    verify_weights_dir,
)

DOWNLOAD_TIMEOUT_SECONDS = (10, 60)  # connect, between bytes
PROGRESS_BAR_WIDTH = 30
MEGABYTE = 1024 * 1024


class ProgressBar:
    """A one-line progress bar on stderr, redrawn when the percentage (or, without a known total,
    the megabyte count) changes."""

    def __init__(self, stream, label: str) -> None:
        self.stream = stream
        self.label = label
        self.last_shown: int | None = None

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            percent = min(100, done * 100 // total)
            if percent == self.last_shown:
                return
            self.last_shown = percent
            filled = PROGRESS_BAR_WIDTH * percent // 100
            bar = "#" * filled + "." * (PROGRESS_BAR_WIDTH - filled)
            line = f"{self.label} [{bar}] {percent:3d}% {done / MEGABYTE:.1f}/{total / MEGABYTE:.1f} MB"
        else:
            megabytes = done // MEGABYTE
            if megabytes == self.last_shown:
                return
            self.last_shown = megabytes
            line = f"{self.label} {done / MEGABYTE:.1f} MB"
        self.stream.write("\r" + line, ending="")
        self.stream.flush()

    def finish(self) -> None:
        if self.last_shown is not None:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Install the try-on weights (FASHN VTON v1.5's model.safetensors and the optional DWPose ONNX files; "
        "u2net.pth or u2netp.pth, warp_model_final.pth, gen_model_final.pth): copy them from a folder or file, "
        "or download one from a URL; each is verified before it is moved into the weights directory. Without "
        "options, report what is installed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            metavar="DIR_OR_FILE",
            help="a checkpoint file, or a folder searched (with subfolders) for the official file names",
        )
        parser.add_argument("--url", help="download one checkpoint file from this URL (a direct link)")
        parser.add_argument(
            "--dest", metavar="DIR", help="weights directory (default: TRYON_WEIGHTS_DIR, from REVETIR_WEIGHTS_DIR)"
        )
        parser.add_argument(
            "--sha256",
            metavar="HEX",
            help="the SHA-256 the file must have (FASHN files: the model card's file listing); "
            "model.safetensors is otherwise checked against weights/manifest.json when it records one",
        )

    def handle(
        self, *args, source: str | None, url: str | None, dest: str | None, sha256: str | None, **options
    ) -> None:
        if source and url:
            raise CommandError("Give either --from or --url, not both.")
        dest_dir = Path(dest) if dest else Path(settings.TRYON_WEIGHTS_DIR)
        self.expected_sha256 = sha256
        failures: list[str] = []
        if source:
            failures = self._install_from_path(Path(source), dest_dir)
        elif url:
            self._install_from_url(url, dest_dir)
        self._report(dest_dir)
        if failures:
            raise CommandError("Some files were not installed:\n" + "\n".join(failures))

    def _install_from_path(self, source: Path, dest_dir: Path) -> list[str]:
        if source.is_dir():
            files = find_checkpoint_files(source) + _find_fashn_files(source)
            if not files:
                names = ", ".join([*CHECKPOINTS_BY_FILENAME, fashn_files.MODEL_FILENAME, *fashn_files.DWPOSE_FILENAMES])
                raise CommandError(f"No weight files ({names}) found in {source} or its subfolders.")
        elif source.is_file():
            files = [source]
        else:
            raise CommandError(f"{source} does not exist.")
        if self.expected_sha256 and len(files) > 1:
            raise CommandError("--sha256 names one file's checksum: give that file with --from FILE.")
        failures = []
        for path in files:
            progress = ProgressBar(self.stderr, path.name)
            try:
                if fashn_files.is_fashn_file(path):
                    installed, sha256 = fashn_files.install_fashn_file(
                        path, weights_dir=dest_dir, progress=progress, expected_sha256=self.expected_sha256
                    )
                    progress.finish()
                    self._announce_fashn(installed, sha256)
                    continue
                if self.expected_sha256:
                    raise WeightsError("--sha256 is for FASHN VTON files; the neural checkpoints are checked by keys.")
                spec, installed = install_checkpoint_file(path, dest_dir=dest_dir, progress=progress)
            except (WeightsError, OSError) as exc:
                progress.finish()
                failures.append(f"  {path}: {exc}")
                continue
            progress.finish()
            self._announce(spec, installed)
        if len(files) == 1 and failures:
            raise CommandError(failures[0].strip())
        return failures

    def _install_from_url(self, url: str, dest_dir: Path) -> None:
        label = url.rsplit("/", 1)[-1].split("?", 1)[0] or url
        progress = ProgressBar(self.stderr, label)
        try:
            with requests.get(url, stream=True, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
                response.raise_for_status()
                if "text/html" in response.headers.get("Content-Type", ""):
                    raise CommandError(
                        f"{url} returned a web page, not a checkpoint file. Google Drive pages need a browser: "
                        "download the file there, then run `python manage.py install_weights --from FILE_OR_DIR`."
                    )
                total = int(response.headers["Content-Length"]) if "Content-Length" in response.headers else None
                response.raw.decode_content = True
                if label in (fashn_files.MODEL_FILENAME, *fashn_files.DWPOSE_FILENAMES):
                    installed, sha256 = fashn_files.install_fashn_stream(
                        response.raw,
                        filename=label,
                        weights_dir=dest_dir,
                        source_label=url,
                        total_bytes=total,
                        progress=progress,
                        expected_sha256=self.expected_sha256,
                    )
                    progress.finish()
                    self._announce_fashn(installed, sha256)
                    return
                spec, installed = install_checkpoint_stream(
                    response.raw, dest_dir=dest_dir, source_label=url, total_bytes=total, progress=progress
                )
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            progress.finish()
            raise CommandError(f"Could not download {url}: {exc}. Nothing was installed.") from exc
        except (WeightsError, OSError) as exc:
            progress.finish()
            raise CommandError(str(exc)) from exc
        progress.finish()
        self._announce(spec, installed)

    def _announce(self, spec: CheckpointSpec, installed: Path) -> None:
        size_mb = installed.stat().st_size / MEGABYTE
        self.stdout.write(
            self.style.SUCCESS(f"Installed {spec.filename} ({spec.purpose}, {size_mb:.1f} MB) at {installed}")
        )
        self.stdout.write(f"  sha256 {file_sha256(installed)}")
        self.stdout.write(f"  Licence: {spec.licence}")

    def _announce_fashn(self, installed: Path, sha256: str) -> None:
        size_mb = installed.stat().st_size / MEGABYTE
        self.stdout.write(
            self.style.SUCCESS(f"Installed {installed.name} (FASHN VTON v1.5, {size_mb:.1f} MB) at {installed}")
        )
        self.stdout.write(f"  sha256 {sha256}" + ("  (checked)" if self.expected_sha256 else ""))
        licence = fashn_files.LICENCE if installed.name == fashn_files.MODEL_FILENAME else fashn_files.DWPOSE_LICENCE
        self.stdout.write(f"  Licence: {licence}")

    def _report(self, dest_dir: Path) -> None:
        self._report_body_models(dest_dir / MODELS_SUBDIR)
        self._report_fashn(dest_dir)
        report = verify_weights_dir(dest_dir)
        self.stdout.write(f"Weights directory {dest_dir}:")
        for spec in CHECKPOINTS.values():
            if spec.filename in report.ok:
                self.stdout.write(f"  OK       {spec.filename}")
            else:
                self.stdout.write(f"  PROBLEM  {report.problems[spec.filename]}")
        if report.neural_ready:
            self.stdout.write(self.style.SUCCESS("The neural try-on engine can run."))
        else:
            self.stdout.write(
                "The neural try-on engine needs warp_model_final.pth, gen_model_final.pth and u2net.pth or "
                "u2netp.pth; until then the site uses the weight-free engine. See weights/README.md."
            )

    def _report_fashn(self, dest_dir: Path) -> None:
        """FASHN VTON v1.5: whether its model loads here, its checksum, the optional DWPose files."""
        report = fashn_files.verify_fashn_dir(dest_dir)
        self.stdout.write(f"FASHN VTON v1.5 in {report.directory}:")
        if report.ready:
            checksum = f"sha256 {report.sha256}" if report.sha256 else "SHA-256 not recorded (copied in by hand)"
            size = "" if report.is_standard_size else " (a non-standard model configuration, from model_config.json)"
            self.stdout.write(f"  OK       {fashn_files.MODEL_FILENAME}{size}, {checksum}")
        else:
            self.stdout.write(f"  PROBLEM  {report.problem}")
        for name in fashn_files.DWPOSE_FILENAMES:
            state = "present" if name in report.dwpose_installed else "absent (optional)"
            self.stdout.write(f"  {name}: {state}")
        if report.ready:
            self.stdout.write(
                self.style.SUCCESS(
                    "FASHN VTON v1.5 can run where a CUDA GPU is present (REVETIR_TRYON_ENGINE=auto picks it there)."
                )
            )

    def _report_body_models(self, models_dir: Path) -> None:
        """The body model's MediaPipe files (installed by `make install`, not by this command)."""
        self.stdout.write(f"Body model files in {models_dir}:")
        statuses = model_statuses(models_dir)
        for status in statuses:
            label = {"verified": "OK      ", "missing": "MISSING ", "damaged": "DAMAGED "}[status.state]
            self.stdout.write(
                f"  {label} {status.filename}" + ("  (SHA-256 verified)" if status.state == "verified" else "")
            )
        if any(status.state != "verified" for status in statuses):
            self.stdout.write(f"  Fix: `{INSTALL_COMMAND} --force` (or `make install`).")


def _find_fashn_files(directory: Path) -> list[Path]:
    """FASHN VTON files anywhere under `directory`, one per name, shallowest first."""
    found: dict[str, Path] = {}
    for path in sorted(directory.rglob("*"), key=lambda p: (len(p.parts), str(p))):
        if path.is_file() and fashn_files.is_fashn_file(path) and path.parent.name != ".git":
            found.setdefault(path.name, path)
    ordered = [found[name] for name in (fashn_files.MODEL_FILENAME, *fashn_files.DWPOSE_FILENAMES) if name in found]
    return ordered

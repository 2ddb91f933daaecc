"""`manage.py install_weights`: put the official try-on checkpoints where the workers find them.

Copies (`--from DIR_OR_FILE`) or downloads (`--url URL`) checkpoint files, checks each is one of the
registered checkpoints (loadable, exact keys and shapes) and moves it into the weights directory
atomically, so a worker never sees a half-written file. Without arguments it reports what is
installed and where the missing files come from.
"""

from __future__ import annotations

from pathlib import Path

import requests
import urllib3
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tryon.pipeline.body.models import INSTALL_COMMAND, MODELS_SUBDIR, model_statuses
from tryon.pipeline.contract import WeightsError
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
        "Install the try-on checkpoints (u2net.pth or u2netp.pth, warp_model_final.pth, gen_model_final.pth): "
        "copy them from a folder or file, or download one from a URL; each is verified before it is moved "
        "into the weights directory. Without options, report what is installed."
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

    def handle(self, *args, source: str | None, url: str | None, dest: str | None, **options) -> None:
        if source and url:
            raise CommandError("Give either --from or --url, not both.")
        dest_dir = Path(dest) if dest else Path(settings.TRYON_WEIGHTS_DIR)
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
            files = find_checkpoint_files(source)
            if not files:
                names = ", ".join(CHECKPOINTS_BY_FILENAME)
                raise CommandError(f"No checkpoint files ({names}) found in {source} or its subfolders.")
        elif source.is_file():
            files = [source]
        else:
            raise CommandError(f"{source} does not exist.")
        failures = []
        for path in files:
            progress = ProgressBar(self.stderr, path.name)
            try:
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

    def _report(self, dest_dir: Path) -> None:
        self._report_body_models(dest_dir / MODELS_SUBDIR)
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

"""Command-line try-on, without Django: `python -m tryon.pipeline PERSON GARMENT -o OUT.png
[--garment-type upper_body|lower_body|full_body]`.

`python -m tryon.pipeline body PHOTO [-o OVERLAY.png]` prints the body analysis instead (body/cli.py).

Prints the engine that ran and how long each stage took. A problem the user can fix (unreadable
image, no person, missing or broken weights) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tryon.pipeline.contract import GARMENT_TYPES, UPPER_BODY, TryOnError
from tryon.pipeline.select import ENGINE_CHOICES

EXIT_TRYON_ERROR = 2
DEVICE_ENV = "REVETIR_TRYON_DEVICE"


def build_parser() -> argparse.ArgumentParser:
    from tryon.pipeline.neural.weights import weights_dir_from_env

    parser = argparse.ArgumentParser(
        prog="python -m tryon.pipeline",
        description="Put the garment from a product photo onto the person in a photo.",
    )
    parser.add_argument("person", type=Path, help="photo of the person (any size; EXIF orientation is honoured)")
    parser.add_argument("garment", type=Path, help="product photo of the garment on a plain light background")
    parser.add_argument("-o", "--output", type=Path, required=True, help="where to write the try-on (PNG or JPEG)")
    parser.add_argument(
        "--small-output",
        type=Path,
        help="also write the 192×256 model-resolution picture here",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINE_CHOICES,
        default="auto",
        help="auto: neural when its weights are installed, else the weight-free classic engine (default)",
    )
    parser.add_argument(
        "--garment-type",
        choices=GARMENT_TYPES,
        default=UPPER_BODY,
        help="upper_body (tops, default), lower_body (trousers, shorts, skirts) or full_body (dresses); "
        "auto tries the last two with the weight-free engine",
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default=os.environ.get(DEVICE_ENV) or "auto",
        help=f"where the neural engine runs (default: ${DEVICE_ENV} or auto = CUDA when available)",
    )
    parser.add_argument(
        "--weights-dir",
        type=Path,
        default=weights_dir_from_env(),
        help="folder holding the checkpoint files (default: $REVETIR_WEIGHTS_DIR or ./weights)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["body"]:
        from tryon.pipeline.body.cli import main as body_main

        return body_main(argv[1:])
    arguments = build_parser().parse_args(argv)
    from tryon.pipeline.select import ENGINE_AUTO, engine_for_garment, select_engine

    try:
        engine = select_engine(arguments.engine, weights_dir=arguments.weights_dir, device=arguments.device)
        if arguments.engine == ENGINE_AUTO:
            engine = engine_for_garment(engine, arguments.garment_type)
        print(f"engine: {engine.name}", flush=True)
        started = time.monotonic()
        result = engine.run(
            arguments.person, arguments.garment, on_stage=_print_stage, garment_type=arguments.garment_type
        )
        total = time.monotonic() - started
    except TryOnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_TRYON_ERROR

    try:
        result.image.save(arguments.output)
        if arguments.small_output is not None:
            result.image_small.save(arguments.small_output)
    except (OSError, ValueError) as exc:
        print(f"error: could not write the try-on image ({exc}).", file=sys.stderr)
        return EXIT_TRYON_ERROR

    print(f"engine used: {result.engine}")
    for stage, seconds in result.timings.items():
        print(f"  {stage:<12} {seconds:7.3f} s")
    print(f"  {'total':<12} {total:7.3f} s")
    print(f"wrote {arguments.output} ({result.image.width}×{result.image.height})")
    return 0


def _print_stage(stage: str, fraction_done: float) -> None:
    label = "done" if fraction_done >= 1.0 else stage
    print(f"  [{fraction_done:4.0%}] {label}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

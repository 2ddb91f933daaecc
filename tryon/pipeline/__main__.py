"""Command-line try-on, without Django: `python -m tryon.pipeline PERSON GARMENT -o OUT.png
[--garment-type upper_body|lower_body|full_body]`.

`python -m tryon.pipeline body PHOTO [-o OVERLAY.png]` prints the body analysis instead (body/cli.py).

Prints the engine that ran and how long each stage took. A problem the user can fix (unreadable
image, no person, missing or broken weights) is one line on stderr and exit status 2. FASHN VTON
samples with REVETIR_FASHN_STEPS / REVETIR_FASHN_GUIDANCE / REVETIR_FASHN_SEED (or --steps,
--guidance, --seed); named on a machine without a GPU it warns that a picture takes hours.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tryon.pipeline.contract import ENGINE_FASHN, GARMENT_TYPES, UPPER_BODY, TryOnError
from tryon.pipeline.device import DEVICE_AUTO
from tryon.pipeline.select import ENGINE_AUTO, ENGINE_CHOICES

EXIT_TRYON_ERROR = 2
DEVICE_ENV = "REVETIR_TRYON_DEVICE"
FASHN_STEPS_ENV, FASHN_GUIDANCE_ENV, FASHN_SEED_ENV = (
    "REVETIR_FASHN_STEPS",
    "REVETIR_FASHN_GUIDANCE",
    "REVETIR_FASHN_SEED",
)


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
        default=ENGINE_AUTO,
        help="auto (default): FASHN VTON v1.5 when its weights are installed and a GPU is present, else neural "
        "when its weights are installed, else the weight-free classic engine",
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
        choices=(DEVICE_AUTO, "cpu", "cuda"),
        default=os.environ.get(DEVICE_ENV) or DEVICE_AUTO,
        help=f"where the neural engine runs (default: ${DEVICE_ENV} or auto = CUDA when available)",
    )
    parser.add_argument(
        "--steps", type=int, help=f"FASHN sampling steps (default: ${FASHN_STEPS_ENV} or the authors' default)"
    )
    parser.add_argument(
        "--guidance",
        type=float,
        help=f"FASHN classifier-free guidance (default: ${FASHN_GUIDANCE_ENV} or the authors' default)",
    )
    parser.add_argument(
        "--seed", type=int, help=f"FASHN noise seed (default: ${FASHN_SEED_ENV} or the authors' default)"
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
    from tryon.pipeline.select import ENGINE_AUTO, engine_for_garment, gpu_present, select_engine

    try:
        if arguments.engine == ENGINE_FASHN and not gpu_present(arguments.device):
            print(
                "warning: FASHN VTON v1.5 is a GPU engine; without one a picture of the released model takes "
                "about two hours.",
                file=sys.stderr,
            )
        engine = select_engine(
            arguments.engine,
            weights_dir=arguments.weights_dir,
            device=arguments.device,
            fashn_options=_fashn_options(arguments),
        )
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


def _fashn_options(arguments: argparse.Namespace):
    """The sampling options, only where FASHN may run (importing it loads PyTorch)."""
    from tryon.pipeline.select import ENGINE_AUTO

    if arguments.engine not in (ENGINE_AUTO, ENGINE_FASHN):
        return None
    from tryon.pipeline.fashn.engine import FashnOptions

    defaults = FashnOptions()

    def chosen(given, variable: str, kind, default):
        return given if given is not None else kind(os.environ.get(variable) or default)

    return FashnOptions(
        steps=chosen(arguments.steps, FASHN_STEPS_ENV, int, defaults.steps),
        guidance=chosen(arguments.guidance, FASHN_GUIDANCE_ENV, float, defaults.guidance),
        seed=chosen(arguments.seed, FASHN_SEED_ENV, int, defaults.seed),
    )


def _print_stage(stage: str, fraction_done: float) -> None:
    label = "done" if fraction_done >= 1.0 else stage
    print(f"  [{fraction_done:4.0%}] {label}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

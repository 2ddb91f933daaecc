"""`python -m tryon.pipeline body PHOTO [-o OVERLAY.png]`: the body analysis of one photo as JSON.

Prints keypoints by MediaPipe's names (photo pixels, visibility), the person's box and the verdict
per garment type; `-o` also draws the skeleton and the person mask. A photo that cannot be used for
any garment exits with status 2 and the shopper's message on stderr (after printing the JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from tryon.pipeline.body.analysis import analyse_body
from tryon.pipeline.body.models import BodyModelMissingError
from tryon.pipeline.body.overlay import draw_overlay
from tryon.pipeline.imageio import InvalidImageError, load_rgb

EXIT_UNUSABLE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tryon.pipeline body",
        description="Find the person's pose and mask in a photo and say which garment types it can try.",
    )
    parser.add_argument("photo", type=Path, help="photo of the person (EXIF orientation is honoured)")
    parser.add_argument("-o", "--output", type=Path, help="write a picture of the skeleton and mask here (PNG/JPEG)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        rgb = load_rgb(arguments.photo)
        analysis = analyse_body(rgb)
    except (InvalidImageError, BodyModelMissingError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(json.dumps(analysis.to_json(), indent=2))
    if arguments.output is not None:
        try:
            Image.fromarray(draw_overlay(rgb, analysis)).save(arguments.output)
        except (OSError, ValueError) as exc:
            print(f"error: could not write the overlay ({exc}).", file=sys.stderr)
            return EXIT_UNUSABLE
        print(f"wrote {arguments.output}", file=sys.stderr)
    if analysis.photo_problem is not None:
        print(analysis.photo_problem, file=sys.stderr)
        return EXIT_UNUSABLE
    return 0

"""Save body model overlays (skeleton, person mask, box, verdict) for the packaged photos, to look at them.

    .venv/bin/python bench/save_body_samples.py [OUTPUT_FOLDER]   (default bench/out/body/, git-ignored)

Writes one PNG per photo (astronaut, grace_hopper, camera, coffee and transformed copies) and prints
each photo's verdicts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from revetir.testing import body_photos  # noqa: E402
from tryon.pipeline.body import analyse_body  # noqa: E402
from tryon.pipeline.body.overlay import draw_overlay  # noqa: E402


def sample_photos() -> dict:
    astronaut, hopper = body_photos.astronaut(), body_photos.grace_hopper()
    return {
        "astronaut": astronaut,
        "astronaut_mirrored": body_photos.mirrored(astronaut),
        "astronaut_distant": body_photos.distant(astronaut, 0.5),
        "astronaut_tiny": body_photos.distant(astronaut, 0.15),
        "astronaut_rotated": body_photos.rotated(astronaut, 10),
        "astronaut_dark": body_photos.darkened(astronaut),
        "grace_hopper": hopper,
        "grace_hopper_mirrored": body_photos.mirrored(hopper),
        "camera": body_photos.camera_man(),
        "coffee": body_photos.coffee(),
    }


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    for name, rgb in sample_photos().items():
        analysis = analyse_body(rgb)
        Image.fromarray(draw_overlay(rgb, analysis)).save(output / f"{name}.png")
        usable = [garment for garment, verdict in analysis.verdicts.items() if verdict.usable]
        print(f"{name:24} people={analysis.people} usable={usable} problem={analysis.photo_problem}")
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / "bench" / "out" / "body")

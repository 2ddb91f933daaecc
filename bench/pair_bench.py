"""The pair part of a neural try-on with and without the photo's half of the flow refinements kept.

    .venv/bin/python bench/pair_bench.py [--runs 20]

`NeuralTryOnEngine.dress` on the astronaut and a drawn T-shirt with both sides prepared (stand-in weights
of ../shared/reference, U²-NetP, 2 threads), alternating in each round between the photo side as
`prepare_photo` makes it (with `person_terms_*`: netRefine's first convolution on the person
features, computed once per photo) and the same side without them, as sides kept before them were
(the pair then convolves the person half itself). Prints the medians and their ratio, measured in
the same run, and checks that both draw the same picture.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from revetir.testing.product_photos import tshirt_photo  # noqa: E402
from revetir.testing.stand_in_weights import stand_in_weights_dir  # noqa: E402
from tryon.pipeline.contract import PreparedSide  # noqa: E402
from tryon.pipeline.neural.engine import NeuralTryOnEngine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    from skimage import data

    engine = NeuralTryOnEngine(stand_in_weights_dir(PROJECT_ROOT.parent / "shared" / "reference"), device="cpu")
    photo = data.astronaut()
    photo_side, garment_side = engine.prepare_photo(photo), engine.prepare_garment(tshirt_photo())
    without = {name: value for name, value in photo_side.arrays.items() if not name.startswith("person_terms_")}
    older_side = PreparedSide(photo_side.side, photo_side.identity, without, photo_side.meta)
    sides = {"person_terms_kept": photo_side, "person_terms_in_the_pair": older_side}
    pictures = {name: np.asarray(engine.dress(photo, side, garment_side).image) for name, side in sides.items()}
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(options.runs):
        for name, side in sides.items():
            started = time.perf_counter()
            engine.dress(photo, side, garment_side)
            seconds[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    print(
        json.dumps(
            {
                "runs": options.runs,
                "median_seconds": {name: round(value, 4) for name, value in medians.items()},
                "kept_over_in_the_pair": round(medians["person_terms_kept"] / medians["person_terms_in_the_pair"], 3),
                "same_picture": bool(np.array_equal(*pictures.values())),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

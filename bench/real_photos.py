"""The evidence on real inputs: the photo check and every installed engine over ../shared/realphotos.

    .venv/bin/python bench/real_photos.py [--out bench/out/real_photos] [--photos ../shared/realphotos]
                                          [--engines classic,neural] [--no-demo]

1. The photo check (the body model's verdict per garment type) on every person photo, against
   `labels.json` (what a careful person expects: accept, refuse or either).
2. Each installed engine (the weight-free one always; the neural one when its checkpoints verify)
   dresses every accepted person in every product picture of its garment types (file names say the
   type: top, bottom, dress), and, unless `--no-demo`, in the demo shop's drawn garments.

It writes one contact sheet per engine and garment type (`<engine>_<type>.png`: a row per garment,
its product picture first, then each person's result or, in red, the message the shopper would read)
and `summary.json`: the photo check's verdicts against the labels (agreements, usable photos refused,
unusable ones accepted) and per engine and garment the results and refusals. The photos are evaluation
data under their own licences: the sheets stay in the git-ignored output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tryon.pipeline.body import analyse_body  # noqa: E402
from tryon.pipeline.contract import GARMENT_TYPES, UPPER_BODY, Engine, TryOnError  # noqa: E402
from tryon.pipeline.imageio import load_rgb  # noqa: E402

GARMENT_TYPE_BY_WORD = {"top": "upper_body", "bottom": "lower_body", "dress": "full_body"}
SMALL_SHOULDER_WIDTH = 60  # pixels between the shoulders of the person shrunk into a large frame
CELL_HEIGHT = 240
CELL_WIDTH = 180
LABEL_HEIGHT = 34
REFUSED_COLOUR = (176, 20, 20)
TEXT_COLOUR = (30, 30, 30)


@dataclass(frozen=True)
class Garment:
    name: str
    garment_type: str
    picture: Image.Image  # RGB or RGBA, as the shop would store it


@dataclass
class Cell:
    picture: Image.Image | None
    text: str
    refused: bool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "out" / "real_photos")
    parser.add_argument("--photos", type=Path, default=PROJECT_ROOT.parent / "shared" / "realphotos")
    parser.add_argument("--engines", default="", help="comma-separated engine names (default: every installed one)")
    parser.add_argument("--no-demo", action="store_true", help="leave out the demo shop's drawn garments")
    arguments = parser.parse_args(argv)
    if not (arguments.photos / "labels.json").is_file():
        print(f"error: no labels.json in {arguments.photos}", file=sys.stderr)
        return 2
    arguments.out.mkdir(parents=True, exist_ok=True)

    labels = {
        key: row for key, row in json.loads((arguments.photos / "labels.json").read_text()).items() if key[0] == "p"
    }
    persons = {path.name[:3]: path for path in sorted((arguments.photos / "persons").iterdir())}
    garments = [
        Garment(path.stem, GARMENT_TYPE_BY_WORD[path.stem.split("_")[1]], Image.open(path))
        for path in sorted((arguments.photos / "garments").iterdir())
    ]
    if not arguments.no_demo:
        garments += demo_garments()

    photo_check, accepted = check_photos(persons, labels)
    summary: dict = {"photo_check": photo_check, "engines": {}}
    for engine in installed_engines(arguments.engines):
        summary["engines"][engine.name] = dress_all(engine, persons, accepted, garments, arguments.out)
    (arguments.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(
        json.dumps(
            {
                "photo_check": photo_check["counts"],
                **{
                    name: {garment_type: counts["counts"] for garment_type, counts in per_type.items()}
                    for name, per_type in summary["engines"].items()
                },
            },
            indent=1,
        )
    )
    print(f"wrote {arguments.out}/summary.json and the contact sheets beside it", file=sys.stderr)
    return 0


def derived_photos(persons: dict[str, Path], labels: dict[str, dict]) -> list[tuple[str, np.ndarray, dict]]:
    """Shapes of photo the labelled set has too few of, made from its full-length front photos: the head
    cut off at the nose and at the chin (shop photos, cropped selfies), and the person shrunk to 60 px
    between the shoulders in a 1536×2048 frame (far away in a large photo). Each keeps its source's
    labels (the small one for tops only: its legs are too small to judge)."""
    derived = []
    for key in ("p08", "p11", "p13"):
        rgb = load_rgb(persons[key])
        analysis = analyse_body(rgb)
        points = {name: analysis.keypoints[name] for name in ("nose", "mouth_left", "left_shoulder", "right_shoulder")}
        chin = (points["mouth_left"].y + points["left_shoulder"].y) / 2
        for part, row in (("nose", points["nose"].y), ("chin", chin)):
            derived.append((f"{key} cut at the {part}", np.ascontiguousarray(rgb[round(row) :]), labels[key]))
        scale = SMALL_SHOULDER_WIDTH / abs(points["left_shoulder"].x - points["right_shoulder"].x)
        small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frame = np.empty((2048, 1536, 3), np.uint8)
        frame[:] = (214, 208, 200)
        frame[700 : 700 + small.shape[0], 500 : 500 + small.shape[1]] = small
        derived.append(
            (f"{key} small in a large frame", frame, {**labels[key], "lower_body": "either", "full_body": "either"})
        )
    return derived


def check_photos(persons: dict[str, Path], labels: dict[str, dict]) -> tuple[dict, dict[str, set[str]]]:
    """The photo check's verdicts against the labels (the labelled photos and `derived_photos`), and per
    labelled person the garment types it accepts."""
    rows, accepted = [], {}
    counts = {"agree": 0, "usable_refused": 0, "unusable_accepted": 0, "either": 0}
    cases = [(path.name, load_rgb(path), labels[key], key) for key, path in persons.items()]
    cases += [(name, rgb, expected, None) for name, rgb, expected in derived_photos(persons, labels)]
    for name, rgb, expected, key in cases:
        analysis = analyse_body(rgb)
        if key is not None:
            accepted[key] = {garment_type for garment_type, verdict in analysis.verdicts.items() if verdict.usable}
        for garment_type in GARMENT_TYPES:
            verdict, want = analysis.verdicts[garment_type], expected[garment_type]
            outcome = (
                "either"
                if want == "either"
                else "agree"
                if verdict.usable == (want == "accept")
                else "usable_refused"
                if want == "accept"
                else "unusable_accepted"
            )
            counts[outcome] += 1
            rows.append(
                {
                    "photo": name,
                    "garment_type": garment_type,
                    "expected": want,
                    "accepted": verdict.usable,
                    "message": verdict.message,
                    "outcome": outcome,
                }
            )
    return {"counts": counts, "cases": rows}, accepted


def installed_engines(names: str) -> list[Engine]:
    from tryon.pipeline.classic.engine import ClassicTryOnEngine
    from tryon.pipeline.neural.weights import verify_weights_dir
    from tryon.pipeline.select import select_engine

    wanted = [name for name in names.split(",") if name] or ["classic", "neural"]
    engines: list[Engine] = []
    if "classic" in wanted:
        engines.append(ClassicTryOnEngine())
    if "neural" in wanted:
        report = verify_weights_dir(os.environ.get("REVETIR_WEIGHTS_DIR") or None)
        if report.neural_ready:
            engines.append(select_engine("neural"))
        else:
            print("neural engine: checkpoints not installed, left out", file=sys.stderr)
    return engines


def dress_all(
    engine: Engine, persons: dict[str, Path], accepted: dict[str, set[str]], garments: list[Garment], out: Path
) -> dict:
    """Every garment the engine takes on every person accepted for its type; a sheet per type."""
    photo_sides = {}
    for key, path in persons.items():
        photo_sides[key] = engine.prepare_photo(path)
    report = {}
    for garment_type in GARMENT_TYPES:
        if engine.name == "neural" and garment_type != UPPER_BODY:
            continue  # PF-AFN was trained on tops only
        of_type = [garment for garment in garments if garment.garment_type == garment_type]
        people = [key for key in persons if garment_type in accepted[key]]
        rows, cases = [], []
        counts = {"results": 0, "garment_refused": 0, "fit_refused": 0}
        timings = []
        for garment in of_type:
            try:
                garment_side = engine.prepare_garment(garment.picture, garment_type=garment_type)
            except TryOnError as exc:
                counts["garment_refused"] += len(people)
                rows.append((garment, [Cell(None, str(exc), True)] * len(people)))
                cases.append({"garment": garment.name, "refused": str(exc)})
                continue
            cells = []
            for key in people:
                started = time.perf_counter()
                try:
                    result = engine.dress(persons[key], photo_sides[key], garment_side)
                except TryOnError as exc:
                    counts["fit_refused"] += 1
                    cells.append(Cell(None, str(exc), True))
                    cases.append({"garment": garment.name, "photo": key, "refused": str(exc)})
                    continue
                timings.append(time.perf_counter() - started)
                counts["results"] += 1
                cells.append(Cell(result.image, key, False))
                cases.append({"garment": garment.name, "photo": key, "result": True})
            rows.append((garment, cells))
        sheet = contact_sheet([load_thumbnail(persons[key]) for key in people], people, rows)
        sheet.save(out / f"{engine.name}_{garment_type}.png")
        report[garment_type] = {
            "counts": counts,
            "median_dress_s": round(float(np.median(timings)), 3) if timings else None,
            "cases": cases,
        }
    return report


def load_thumbnail(path: Path) -> Image.Image:
    return Image.fromarray(load_rgb(path))


def contact_sheet(photos: list[Image.Image], names: list[str], rows: list[tuple[Garment, list[Cell]]]) -> Image.Image:
    """Header row: the photos; then per garment its product picture and a cell per photo."""
    columns = 1 + len(photos)
    sheet = Image.new("RGB", (columns * CELL_WIDTH, (1 + len(rows)) * (CELL_HEIGHT + LABEL_HEIGHT)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=12)
    for column, (photo, name) in enumerate(zip(photos, names, strict=True), start=1):
        paste_cell(sheet, draw, font, column, 0, Cell(photo, f"photo {name}", False))
    for row, (garment, cells) in enumerate(rows, start=1):
        paste_cell(sheet, draw, font, 0, row, Cell(on_checkerboard(garment.picture), garment.name, False))
        for column, cell in enumerate(cells, start=1):
            paste_cell(sheet, draw, font, column, row, cell)
    return sheet


def paste_cell(sheet: Image.Image, draw: ImageDraw.ImageDraw, font, column: int, row: int, cell: Cell) -> None:
    left, top = column * CELL_WIDTH, row * (CELL_HEIGHT + LABEL_HEIGHT)
    if cell.picture is not None:
        picture = cell.picture.convert("RGB")
        picture.thumbnail((CELL_WIDTH - 4, CELL_HEIGHT - 4))
        sheet.paste(picture, (left + (CELL_WIDTH - picture.width) // 2, top + (CELL_HEIGHT - picture.height) // 2))
        draw.text((left + 4, top + CELL_HEIGHT + 2), textwrap.shorten(cell.text, 30), fill=TEXT_COLOUR, font=font)
        return
    lines = textwrap.wrap(cell.text, 26)[:14]
    draw.rectangle((left + 2, top + 2, left + CELL_WIDTH - 3, top + CELL_HEIGHT - 3), outline=REFUSED_COLOUR)
    draw.multiline_text((left + 8, top + 8), "\n".join(lines), fill=REFUSED_COLOUR, font=font)


def on_checkerboard(picture: Image.Image) -> Image.Image:
    """A picture with transparency shown over grey squares, so a cut-out shows as one."""
    if picture.mode not in ("RGBA", "LA", "P"):
        return picture
    rgba = picture.convert("RGBA")
    squares = (np.indices((rgba.height, rgba.width)) // 16).sum(axis=0) % 2
    board = Image.fromarray(np.where(squares[:, :, None] == 1, 200, 235).astype(np.uint8).repeat(3, axis=2))
    board.paste(rgba, mask=rgba.getchannel("A"))
    return board


def demo_garments() -> list[Garment]:
    """The demo shop's garments, drawn in code as `seed_demo` draws them."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revetir.settings")
    import django

    django.setup()
    from shop.demo import DEMO_GARMENTS
    from shop.product_art import render_garment

    return [
        Garment(f"demo {garment.name}", garment.design.style.garment_type, render_garment(garment.design))
        for garment in DEMO_GARMENTS
    ]


if __name__ == "__main__":
    sys.exit(main())

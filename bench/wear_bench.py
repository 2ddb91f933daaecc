"""Nothing computed twice (issue 13): try-on times through the real HTTP API and websocket on one
Daphne process, as ratios to a cold job measured in the same run.

    .venv/bin/python bench/wear_bench.py [--engine neural|classic|both] [--page 12] [--settle 5] [--rounds 3]
        [--photo-size 1080x1440] [--u2net full|small]

For each engine: a temporary site (fresh SQLite database, DEBUG off, in-process worker) seeded with
the demo shop; for the neural engine, stand-in checkpoints (the reference's deterministic weights,
see revetir/testing/stand_in_weights.py) installed with `manage.py install_weights`: all four
official files, so the engine segments with the full U²-Net (--u2net small leaves u2net.pth out and
it uses U²-NetP). One Daphne process; the worker warms the engine up and prepares every product
image when the server starts, and the bench waits for that. A shopper (session cookie for the
websocket, API token for HTTP) then, timing each from the POST to the websocket message that
delivers the result:

- cold: a photo uploaded in the job's own request (photo side computed in the job; the garment side
  is ready, as it is for every job here);
- upload then garment: a photo uploaded through the photos API --settle seconds earlier (its photo
  side prepared in the background meanwhile; the bench waits longer if the worker has not finished
  it, so the figure is the job's own), then a garment on it;
- second garment on that photo;
- same pair again (the cache);
- a page of --page garments on a third photo uploaded earlier (POST /api/tryon/pages/), until every
  result arrived.

Each of --rounds rounds does all of that on three new photos (the astronaut mirrored and cropped
differently, so none is a stored duplicate) and takes its ratios against its own cold job; one
timing on a shared 2-core machine can be off by a third, so the figures are the medians of the
rounds, with every round's ratios beside them. Prints JSON with seconds and ratios to the cold job,
and the goals: ≤ 0.4, ≤ 0.4, ≤ 0.05 and ≤ page × 0.4. The photos are phone-sized JPEGs, 1080×1440
as in the issue's own measurement (--photo-size 512x512 uploads the astronaut at its own size).
Figures for bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench._server import PROJECT_ROOT, BenchSite, create_signed_in_users

REFERENCE_DIR = PROJECT_ROOT.parent / "shared" / "reference"
PREPARE_TIMEOUT_S = 600
RESULT_TIMEOUT_S = 600
GOALS = {"upload_then_garment": 0.4, "second_garment": 0.4, "same_pair": 0.05, "page_per_garment": 0.4}


def person_photo(variant: int, size: tuple[int, int]) -> bytes:
    """A shopper's photo as a phone sends it (JPEG) of `size` (width, height): the astronaut, scaled to
    the width and extended to the height by repeating its top and bottom rows, mirrored when
    `variant` is odd and cropped by 4 more source pixels a side for each further pair of variants, so
    no two variants are the same stored photo."""
    import cv2
    from PIL import Image
    from skimage import data

    image = data.astronaut()
    if variant & 1:
        image = image[:, ::-1]
    margin = 4 * (variant // 2)
    if margin:
        image = image[margin:-margin, margin:-margin]
    width, height = size
    scaled = cv2.resize(np.ascontiguousarray(image), (width, width), interpolation=cv2.INTER_CUBIC)
    top = max(height - width, 0) // 2
    extended = cv2.copyMakeBorder(scaled, top, max(height - width - top, 0), 0, 0, cv2.BORDER_REPLICATE)
    buffer = io.BytesIO()
    Image.fromarray(extended[:height]).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


class Shopper:
    """One signed-in shopper: HTTP calls with an API token over one kept-alive connection, as a
    browser makes them, and results watched on one websocket."""

    def __init__(self, port: int, session_key: str, token: str) -> None:
        import requests

        self.session = requests.Session()  # used by one call at a time
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.session_key = session_key
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self.finished: dict[str, tuple[str, float]] = {}  # job id -> (status, when the message arrived)
        self.changed = asyncio.Event()
        self.socket = None
        self.reader: asyncio.Task | None = None

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.socket = await connect(
            f"ws://127.0.0.1:{self.port}/ws/tryon/",
            origin=f"http://127.0.0.1:{self.port}",
            additional_headers={"Cookie": f"sessionid={self.session_key}"},
            compression=None,
            proxy=None,
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.socket:
            arrived = time.perf_counter()
            message = json.loads(raw)
            jobs = message.get("jobs", [message]) if message.get("type") == "tryon.state" else [message]
            for job in jobs:
                if job.get("status") in ("done", "failed"):
                    self.finished.setdefault(str(job["job"]), (job["status"], arrived))
            self.changed.set()

    async def post(self, path: str, **kwargs: object) -> dict:
        post = self.session.post
        response = await asyncio.to_thread(post, self.base + path, headers=self.headers, timeout=60, **kwargs)
        if response.status_code not in (200, 201, 202):
            raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()

    async def wait_for(self, job_ids: list[str]) -> float:
        """When the last of these jobs' final messages arrived; fails on a failed job."""
        deadline = time.monotonic() + RESULT_TIMEOUT_S
        while not all(job in self.finished for job in job_ids):
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"results did not arrive for {set(job_ids) - set(self.finished)}")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                continue
        failed = [job for job in job_ids if self.finished[job][0] != "done"]
        if failed:
            raise RuntimeError(f"jobs failed: {failed}")
        return max(self.finished[job][1] for job in job_ids)

    async def timed_job(self, **request: object) -> tuple[float, dict]:
        started = time.perf_counter()
        job = await self.post("/api/tryon/jobs/", **request)
        if job["status"] == "done":  # a cached pair: the answer itself delivers the result
            return time.perf_counter() - started, job
        return await self.wait_for([str(job["id"])]) - started, job

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.socket is not None:
            await self.socket.close()
        self.session.close()


def wait_until_prepared() -> int:
    """Block until the worker prepared the garment side of every tryable product; returns how many."""
    from shop.models import ProductImage
    from tryon.models import GarmentPreparation

    wanted = {
        image.pk
        for image in ProductImage.objects.filter(is_primary=True).select_related("product")
        if image.product.supports_tryon
    }
    deadline = time.monotonic() + PREPARE_TIMEOUT_S
    while time.monotonic() < deadline:
        done = set(GarmentPreparation.objects.filter(product_image__in=wanted).values_list("product_image", flat=True))
        if done >= wanted:
            return len(wanted)
        time.sleep(0.5)
    raise RuntimeError("the worker did not prepare every product image in time")


def wait_for_photo_sides(photo_ids: list[int]) -> None:
    from tryon.models import PhotoPreparation

    deadline = time.monotonic() + PREPARE_TIMEOUT_S
    while PhotoPreparation.objects.filter(photo__in=photo_ids).count() < len(photo_ids):
        if time.monotonic() > deadline:
            raise RuntimeError("the uploaded photos were not prepared in time")
        time.sleep(0.2)


def tryable_products(count: int) -> list[int]:
    from shop.models import Product

    products = [product for product in Product.objects.filter(is_active=True).order_by("id") if product.supports_tryon]
    if len(products) < count + 3:
        raise SystemExit(f"the demo shop has {len(products)} garments to try on; need {count + 3}")
    return [product.pk for product in products]


async def measure_round(
    shopper: Shopper, *, round_index: int, products: list[int], page: int, settle: float, photo_size: tuple[int, int]
) -> dict:
    """One round on three new photos: seconds per figure, from the POST to the delivering message."""

    def files(variant: int) -> dict:
        return {"photo": (f"person-{variant}.jpg", person_photo(variant, photo_size), "image/jpeg")}

    cold, _ = await shopper.timed_job(data={"product": products[0]}, files=files(3 * round_index))
    photo = await shopper.post("/api/tryon/photos/", files=files(3 * round_index + 1))
    page_photo = await shopper.post("/api/tryon/photos/", files=files(3 * round_index + 2))
    await asyncio.sleep(settle)
    # A worker busy preparing a photo finishes it before the next job; on a crowded machine that
    # can outlast the settle time, and the figure would then time the preparation, not the job.
    await asyncio.to_thread(wait_for_photo_sides, [photo["id"], page_photo["id"]])
    first, _ = await shopper.timed_job(data={"product": products[1], "photo_id": photo["id"]})
    second, _ = await shopper.timed_job(data={"product": products[2], "photo_id": photo["id"]})
    again, cached = await shopper.timed_job(data={"product": products[2], "photo_id": photo["id"]})
    if cached["status"] != "done":
        raise RuntimeError("the same pair asked again was not answered from the cache")
    started = time.perf_counter()
    reply = await shopper.post(
        "/api/tryon/pages/", json={"photo_id": page_photo["id"], "products": products[3 : 3 + page]}
    )
    page_seconds = await shopper.wait_for([str(job["id"]) for job in reply["jobs"]]) - started
    return {
        "cold": cold,
        "upload_then_garment": first,
        "second_garment": second,
        "same_pair": again,
        "page": page_seconds,
    }


def ratios_of(seconds: dict, page: int) -> dict:
    return {
        "upload_then_garment": seconds["upload_then_garment"] / seconds["cold"],
        "second_garment": seconds["second_garment"] / seconds["cold"],
        "same_pair": seconds["same_pair"] / seconds["cold"],
        "page_per_garment": seconds["page"] / seconds["cold"] / page,
    }


async def measure(
    port: int,
    session_key: str,
    token: str,
    *,
    products: list[int],
    page: int,
    settle: float,
    rounds: int,
    photo_size: tuple[int, int],
) -> dict:
    shopper = Shopper(port, session_key, token)
    await shopper.connect()
    try:
        per_round = [
            await measure_round(
                shopper, round_index=index, products=products, page=page, settle=settle, photo_size=photo_size
            )
            for index in range(rounds)
        ]
    finally:
        await shopper.close()
    round_ratios = [ratios_of(seconds, page) for seconds in per_round]
    ratios = {name: statistics.median(each[name] for each in round_ratios) for name in GOALS}
    seconds = {name: statistics.median(each[name] for each in per_round) for name in per_round[0]}
    return {
        "photo_size": f"{photo_size[0]}x{photo_size[1]}",
        "rounds": rounds,
        "median_seconds": {
            **{name: round(value, 3) for name, value in seconds.items() if name != "page"},
            f"page_of_{page}": round(seconds["page"], 3),
        },
        "median_ratios_to_cold": {name: round(value, 3) for name, value in ratios.items()},
        "goals_met": {name: ratios[name] <= goal for name, goal in GOALS.items()},
        "ratios_per_round": {name: [round(each[name], 3) for each in round_ratios] for name in GOALS},
        "cold_seconds_per_round": [round(each["cold"], 3) for each in per_round],
    }


def install_body_model(site: BenchSite) -> None:
    """The body model's files in the bench site's own weights folder (both engines and the photo check
    need them), installed and verified by the project's own step."""
    _run_manage_step(site, ["-m", "tryon.pipeline.body.install"])


def install_stand_in_weights(site: BenchSite, *, u2net: str) -> None:
    from revetir.testing.stand_in_weights import stand_in_weights_dir

    source = stand_in_weights_dir(REFERENCE_DIR, full_u2net=u2net == "full")
    _run_manage_step(site, ["manage.py", "install_weights", "--from", str(source)])


def _run_manage_step(site: BenchSite, arguments: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, **site.env},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def run_engine(
    engine: str, *, page: int, settle: float, rounds: int, photo_size: tuple[int, int], u2net: str
) -> dict:
    site = BenchSite()
    site.env.update(
        {
            "REVETIR_TRYON_ENGINE": engine,
            "REVETIR_WEIGHTS_DIR": str(site.root / "weights"),
            "REVETIR_TRYON_DEVICE": "cpu",
            "REVETIR_TRYON_RATE_LIMIT_PER_MINUTE": "60",
        }
    )
    with site:
        from django.conf import settings
        from rest_framework.authtoken.models import Token

        from accounts.models import User
        from shop.demo import seed_demo

        settings.TRYON_PREPARE_IN_BACKGROUND = False  # here; the server's worker prepares the images
        seed_demo(credentials_path=site.root / "demo_credentials.json")
        install_body_model(site)
        if engine == "neural":
            install_stand_in_weights(site, u2net=u2net)
        user_id, session_key = create_signed_in_users(1)[0]
        token = Token.objects.create(user=User.objects.get(pk=user_id)).key
        with site.serve() as server:
            prepared_since = time.perf_counter()
            garments = wait_until_prepared()
            warm_up_and_preparation = time.perf_counter() - prepared_since
            products = tryable_products(page)
            figures = asyncio.run(
                measure(
                    server.port,
                    session_key,
                    token,
                    products=products,
                    page=page,
                    settle=settle,
                    rounds=rounds,
                    photo_size=photo_size,
                )
            )
    return {
        "engine": engine,
        **({"segmenter": "U²-Net" if u2net == "full" else "U²-NetP"} if engine == "neural" else {}),
        "garments_prepared_at_start": garments,
        "start_to_all_prepared_s": round(warm_up_and_preparation, 1),
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("neural", "classic", "both"), default="both")
    parser.add_argument("--page", type=int, default=12)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between photo upload and first garment")
    parser.add_argument("--rounds", type=int, default=3, help="rounds on new photos; the figures are their medians")
    parser.add_argument(
        "--photo-size", default="1080x1440", help="WIDTHxHEIGHT of the uploaded photos (issue 13 measured 1080x1440)"
    )
    parser.add_argument(
        "--u2net",
        choices=("full", "small"),
        default="full",
        help="neural engine's segmenter: the full U²-Net, as with the official files, or U²-NetP alone",
    )
    options = parser.parse_args()
    photo_size = tuple(int(side) for side in options.photo_size.lower().split("x"))
    if options.engine != "both":
        figures = run_engine(
            options.engine,
            page=options.page,
            settle=options.settle,
            rounds=options.rounds,
            photo_size=photo_size,
            u2net=options.u2net,
        )
        print(json.dumps(figures, indent=2))
        return
    # One process per engine: each configures Django for its own temporary site.
    results = []
    for engine in ("neural", "classic"):
        arguments = ["--engine", engine, "--page", str(options.page), "--settle", str(options.settle)]
        arguments += ["--rounds", str(options.rounds), "--photo-size", options.photo_size, "--u2net", options.u2net]
        done = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""What the shop shows of try-on, read through functions the `tryon` app registers when it starts
(`tryon.apps.TryonConfig.ready`), so that `shop` imports nothing of `tryon` and the apps depend one
way (`tryon` uses the shop's products). Without try-on installed each answers "nothing".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class TryOnHooks:
    # (job id as sent by the browser, cart owner's id, product id) → the id of that owner's finished
    # try-on of that product, else None.
    finished_job_id: Callable[..., object | None] | None = None
    # since → {product id: finished try-ons created since then}
    finished_jobs_per_product: Callable[..., dict] | None = None
    # product image → its staff garment check (`tryon.garment_check.GarmentCheck`)
    garment_check: Callable[..., object] | None = None


hooks = TryOnHooks()


def register(
    *,
    finished_job_id: Callable[..., object | None],
    finished_jobs_per_product: Callable[..., dict],
    garment_check: Callable[..., object],
) -> None:
    hooks.finished_job_id = finished_job_id
    hooks.finished_jobs_per_product = finished_jobs_per_product
    hooks.garment_check = garment_check


def finished_tryon_job_id(*, job_id: object, owner_id: object, product_id: object) -> object | None:
    if hooks.finished_job_id is None:
        return None
    return hooks.finished_job_id(job_id=job_id, owner_id=owner_id, product_id=product_id)


def finished_tryons_per_product(*, since: datetime.datetime) -> dict:
    if hooks.finished_jobs_per_product is None:
        return {}
    return hooks.finished_jobs_per_product(since=since)


def garment_check(*, product_image: object) -> object | None:
    """The staff garment check of `product_image`; None without try-on."""
    if hooks.garment_check is None:
        return None
    return hooks.garment_check(product_image=product_image)

"""A scripted engine the try-on tests share (the pictures and products they use are in
`revetir.testing.tryon_data`, shared with the benchmarks)."""

from __future__ import annotations

from PIL import Image

from tryon.pipeline.contract import STAGES


class ScriptedEngine:
    """An engine for failure-isolation tests: reports every stage, then raises `error` if given, else
    returns the person photo unchanged as the "result". The main flow tests use the real engine.
    Its prepared sides are empty; `runs` counts pairs dressed, `photos_prepared` photo sides made."""

    name = "scripted"
    identity = "scripted/1"
    stage_shares = dict.fromkeys(STAGES, 1 / len(STAGES))

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.runs = 0
        self.photos_prepared = 0
        self.garment_types: list[str] = []

    def prepare_photo(self, person):
        from tryon.pipeline.contract import PHOTO_SIDE, PreparedSide

        self.photos_prepared += 1
        return PreparedSide(side=PHOTO_SIDE, identity=self.identity, arrays={})

    def prepare_garment(self, garment, *, garment_type="upper_body"):
        from tryon.pipeline.contract import GARMENT_SIDE, PreparedSide

        self.garment_types.append(garment_type)
        return PreparedSide(
            side=GARMENT_SIDE,
            identity=self.identity,
            arrays={"cloth_mask": pack_bits_of_ones()},
            meta={"mask_size": [8, 8]},
        )

    def dress(self, person, photo_side, garment_side, *, on_stage=None):
        from tryon.pipeline.contract import STAGES, TryOnResult

        self.runs += 1
        for index, stage in enumerate(STAGES[2:], start=2):
            if on_stage is not None:
                on_stage(stage, index / len(STAGES))
            if self.error is not None:
                raise self.error
        image = Image.fromarray(person)
        return TryOnResult(image=image, image_small=image.resize((192, 256)), engine=self.name, timings={"run": 0.0})

    def run(self, person, garment, *, on_stage=None, garment_type="upper_body"):
        garment_side = self.prepare_garment(garment, garment_type=garment_type)
        return self.dress(person, self.prepare_photo(person), garment_side, on_stage=on_stage)


def pack_bits_of_ones():
    """An 8×8 cloth mask with every pixel set, packed as prepared sides store masks."""
    import numpy as np

    from tryon.pipeline.contract import pack_mask

    return pack_mask(np.full((8, 8), 255, dtype=np.uint8))

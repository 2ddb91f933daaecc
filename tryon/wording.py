"""What the try-on pages tell shoppers, in their words: about a result (not the engine's name) and
about the photo a garment needs."""

from __future__ import annotations

from tryon.pipeline.contract import ENGINE_CLASSIC, ENGINE_FASHN, ENGINE_NEURAL, FULL_BODY, LOWER_BODY, UPPER_BODY

PHOTO_FORMATS = "JPEG, PNG or WebP, up to 10 MB."
# What photo each garment type needs (the body model's verdicts say the same when a photo falls short).
PHOTO_ADVICE = {
    UPPER_BODY: "Face the camera with your upper body visible, from your head to your hips.",
    LOWER_BODY: "Face the camera in a full-length photo, from your head down to your feet.",
    FULL_BODY: "Face the camera in a full-length photo, from your head down to your feet.",
}
ANY_GARMENT_PHOTO_ADVICE = (
    "Face the camera. A photo down to your hips can try tops; a full-length photo, down to your feet, "
    "can try trousers, skirts and dresses too."
)


def photo_help_text(garment_type: str | None) -> str:
    """The help under a photo upload for a garment of `garment_type` (None: any garment)."""
    return f"{PHOTO_FORMATS} {PHOTO_ADVICE.get(garment_type or '', ANY_GARMENT_PHOTO_ADVICE)}"


ENGINE_NOTES = {
    ENGINE_FASHN: (
        "The garment is drawn onto your photo by our photographic try-on model; check the size chart for the fit."
    ),
    ENGINE_CLASSIC: (
        "This is a quick preview: the garment is fitted to your photo's outline, so folds and fit are approximate."
    ),
    ENGINE_NEURAL: "The garment is drawn onto your photo by our try-on model; check the size chart for the fit.",
}


def engine_note(engine: str) -> str:
    """The note shown under a result made by `engine`; empty while there is no result."""
    return ENGINE_NOTES.get(engine, "")


# Why "See it on me" leaves a garment of the page out (`tryon.jobs.submit.LeftOutGarment.reason`).
LEFT_OUT_PHOTO = "photo"  # the photo cannot try the garment's type
LEFT_OUT_NOT_OFFERED = "not_offered"  # the garment's picture failed the staff check
GARMENT_WORDS = {UPPER_BODY: ("tops",), LOWER_BODY: ("trousers", "skirts"), FULL_BODY: ("dresses",)}
PHOTO_NEEDED = {
    UPPER_BODY: "a photo facing the camera with both shoulders in it",
    LOWER_BODY: "a full-length photo",
    FULL_BODY: "a full-length photo",
}


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def left_out_summary(left_out: list[tuple[str, str]]) -> str:
    """Why garments of a page keep their product picture, from (reason, garment type) pairs, as one
    lower-case clause list ending in a full stop: "trousers and dresses need a full-length photo;
    1 garment is not offered for try-on yet." Empty when nothing was left out."""
    by_need: dict[str, list[str]] = {}
    for garment_type in GARMENT_WORDS:  # in a fixed order: tops, then trousers and skirts, then dresses
        if (LEFT_OUT_PHOTO, garment_type) in left_out:
            by_need.setdefault(PHOTO_NEEDED[garment_type], []).extend(GARMENT_WORDS[garment_type])
    clauses = [f"{_and_list(words)} need {need}" for need, words in by_need.items()]
    not_offered = sum(reason == LEFT_OUT_NOT_OFFERED for reason, _garment_type in left_out)
    if not_offered:
        clauses.append(f"{not_offered} garment{'s are' if not_offered > 1 else ' is'} not offered for try-on yet")
    return "; ".join(clauses) + "." if clauses else ""


def photo_can_try_summary(usable_types: list[str]) -> str:
    """A saved photo's note in the photo choices: what it can try, in the shopper's words, short enough
    to lead a choice on a phone ("Full length: all garments", "Tops only")."""
    if set(usable_types) >= set(GARMENT_WORDS):
        return "Full length: all garments"
    words = [
        word for garment_type in GARMENT_WORDS if garment_type in usable_types for word in GARMENT_WORDS[garment_type]
    ]
    return f"{_and_list(words)} only".capitalize() if words else "Cannot try any garment"

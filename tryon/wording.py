"""What the try-on pages tell shoppers about a result, in their words (not the engine's name)."""

from __future__ import annotations

from tryon.pipeline.contract import ENGINE_CLASSIC, ENGINE_FASHN, ENGINE_NEURAL

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

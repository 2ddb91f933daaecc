"""The person in a photo as both engines start from it (their segmenting stage): keypoints and mask
from the body model (`tryon.pipeline.body`, MediaPipe BlazePose and selfie segmentation), and whether
the photo can try this garment type.

A photo the body model refuses for the garment type (no person, several, side view, hips out of the
picture for trousers) ends the try-on with the body model's message to the shopper; nothing is drawn.
"""

from __future__ import annotations

import numpy as np

from tryon.pipeline.body import BodyAnalysis, BodyModelMissingError, analyse_body
from tryon.pipeline.contract import NoPersonFoundError, PreparedSide, UnusablePhotoError, WeightsError, unpack_mask


def analyse_person(rgb: np.ndarray, garment_type: str) -> BodyAnalysis:
    """The body model's analysis of the photo, when it can try `garment_type`.

    Raises NoPersonFoundError when there is no person, UnusablePhotoError (with the shopper's message)
    when the photo cannot try this garment type, WeightsError when the body model's files are missing.
    """
    return check_usable(analyse_photo(rgb), garment_type)


def analyse_photo(rgb: np.ndarray) -> BodyAnalysis:
    """The body model's analysis with a verdict for every garment type, none enforced yet (a photo
    side kept for all garments); WeightsError when the body model's files are missing."""
    try:
        return analyse_body(rgb)
    except BodyModelMissingError as exc:
        raise WeightsError(str(exc)) from exc


def check_usable(analysis: BodyAnalysis, garment_type: str) -> BodyAnalysis:
    """`analysis` itself when its photo can try `garment_type`; else its verdict as the error."""
    verdict = analysis.usable_for(garment_type)
    if verdict.usable:
        return analysis
    if analysis.people == 0:
        raise NoPersonFoundError(verdict.message)
    raise UnusablePhotoError(verdict.message)


def analysis_of_photo_side(photo_side: PreparedSide) -> BodyAnalysis:
    """The body model's analysis kept in a photo side (`meta["analysis"]` and the packed
    `arrays["person_mask"]`), as the engines that start from the body model store it."""
    data = photo_side.meta["analysis"]
    mask = unpack_mask(photo_side.arrays["person_mask"], (data["height"], data["width"]))
    return BodyAnalysis.from_json(data, mask)

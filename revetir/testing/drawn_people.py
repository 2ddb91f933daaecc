"""A full-length person drawn in code, with the body model's analysis of it written down.

No photo of a whole standing person ships in an installed package (skimage's astronaut and
matplotlib's Grace Hopper end at the waist), so the trousers, shorts, skirt and dress tests put the
garment on this drawing: a person facing the camera (skin-coloured head, arms and legs, a grey top,
on a plain wall), whose keypoints and person mask are known exactly because they drew it. It tests the
weight-free engine's fitting and rendering; the body model itself is tested on real photos.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.body import KEYPOINT_NAMES, BodyAnalysis, GarmentVerdict, Keypoint

WIDTH, HEIGHT = 480, 900
SKIN, TOP, WALL = (214, 170, 140), (120, 120, 128), (232, 228, 220)
LIMB_WIDTHS = {"arm": 34, "forearm": 28, "thigh": 58, "shin": 44}

# Photo pixels of the person's own left and right (the person's left is on the image's right).
JOINTS: dict[str, tuple[float, float]] = {
    "nose": (240, 92),
    "left_eye": (254, 78),
    "right_eye": (226, 78),
    "left_ear": (272, 84),
    "right_ear": (208, 84),
    "mouth_left": (252, 112),
    "mouth_right": (228, 112),
    "left_shoulder": (310, 190),
    "right_shoulder": (170, 190),
    "left_elbow": (340, 320),
    "right_elbow": (140, 320),
    "left_wrist": (330, 440),
    "right_wrist": (150, 440),
    "left_hip": (282, 450),
    "right_hip": (198, 450),
    "left_knee": (290, 650),
    "right_knee": (190, 650),
    "left_ankle": (292, 850),
    "right_ankle": (188, 850),
}
# The hand's keypoints a little below each wrist.
HAND_POINTS = {"pinky": (6, 24), "index": (-4, 24), "thumb": (-10, 24)}


def with_hands(joints: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """The joints with each hand's keypoints placed below its wrist."""
    return joints | {
        f"{side}_{name}": (joints[f"{side}_wrist"][0] + dx, joints[f"{side}_wrist"][1] + dy)
        for side in ("left", "right")
        for name, (dx, dy) in HAND_POINTS.items()
    }


JOINTS.update(with_hands(JOINTS))


def full_length_person(
    moved: dict[str, tuple[float, float]] | None = None,
) -> tuple[np.ndarray, BodyAnalysis]:
    """(RGB photo 480×900, its analysis) of the drawn person, usable for every garment type; `moved`
    joints (an elbow, a wrist) replace JOINTS', the hands following their wrists."""
    joints = with_hands(JOINTS | (moved or {}))
    photo = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    photo[:] = WALL
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)

    def point(name: str) -> tuple[int, int]:
        return tuple(round(value) for value in joints[name])

    def limb(start: str, end: str, width: int, colour) -> None:
        for canvas, value in ((photo, colour), (mask, 255)):
            cv2.line(canvas, point(start), point(end), value, width)
            cv2.circle(canvas, point(end), width // 2, value, -1)

    for side in ("left", "right"):
        limb(f"{side}_hip", f"{side}_knee", LIMB_WIDTHS["thigh"], SKIN)
        limb(f"{side}_knee", f"{side}_ankle", LIMB_WIDTHS["shin"], SKIN)
    torso = np.array([point("right_shoulder"), point("left_shoulder"), (300, 470), (180, 470)])
    for canvas, value in ((photo, TOP), (mask, 255)):
        cv2.fillPoly(canvas, [torso], value)
        cv2.rectangle(canvas, (222, 130), (258, 195), SKIN if canvas is photo else 255, -1)  # neck
        cv2.ellipse(canvas, (240, 95), (40, 52), 0, 0, 360, SKIN if canvas is photo else 255, -1)
    for side in ("left", "right"):
        limb(f"{side}_shoulder", f"{side}_elbow", LIMB_WIDTHS["arm"], TOP)
        limb(f"{side}_elbow", f"{side}_wrist", LIMB_WIDTHS["forearm"], SKIN)
        for canvas, value in ((photo, SKIN), (mask, 255)):
            cv2.circle(canvas, point(f"{side}_index"), 16, value, -1)
    keypoints = {name: Keypoint(*joints.get(name, joints["nose"]), 0.99) for name in KEYPOINT_NAMES}
    for side in ("left", "right"):
        ankle_x, ankle_y = joints[f"{side}_ankle"]
        keypoints[f"{side}_heel"] = Keypoint(ankle_x, ankle_y + 20, 0.99)
        keypoints[f"{side}_foot_index"] = Keypoint(ankle_x, ankle_y + 30, 0.99)
    rows, columns = np.nonzero(mask)
    analysis = BodyAnalysis(
        width=WIDTH,
        height=HEIGHT,
        keypoints=keypoints,
        person_mask=mask,
        box=(int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1),
        people=1,
        verdicts={name: GarmentVerdict(True) for name in ("upper_body", "lower_body", "full_body")},
    )
    return photo, analysis

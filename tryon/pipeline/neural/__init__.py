"""The neural engine: U²-Net + PF-AFN (the paper models). Importing the package loads no network."""

from tryon.pipeline.contract import UPPER_BODY

# The garment types the neural engine dresses (PF-AFN was trained on tops); every other type goes to
# the weight-free engine, whatever engine is selected (`tryon.pipeline.select.engine_name_for_garment`).
NEURAL_GARMENT_TYPES: tuple[str, ...] = (UPPER_BODY,)

# What the engine keeps and refuses beyond its weights: in `WeightsDirReport.neural_identity`, so sides
# and results made by an older engine are recomputed. 2: the photo side keeps the torso joints in the
# model's frame and the warp is checked before rendering (`fit_check`).
NEURAL_METHOD_VERSION = 2

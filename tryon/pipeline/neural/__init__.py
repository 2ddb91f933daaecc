"""The neural engine: U²-Net + PF-AFN (the paper models). Importing the package loads no network."""

from tryon.pipeline.contract import UPPER_BODY

# The garment types the neural engine dresses (PF-AFN was trained on tops); every other type goes to
# the weight-free engine, whatever engine is selected (`tryon.pipeline.select.engine_name_for_garment`).
NEURAL_GARMENT_TYPES: tuple[str, ...] = (UPPER_BODY,)

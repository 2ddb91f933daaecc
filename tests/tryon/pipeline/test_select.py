"""Which engine tries on which garment type (`tryon.pipeline.select.engine_for_garment`)."""

from __future__ import annotations

import pytest

from tryon.pipeline.select import engine_for_garment


class NeuralStandIn:
    """Only the name matters to the choice; the real neural engine needs checkpoints."""

    name = "neural"


@pytest.mark.parametrize("garment_type", ["lower_body", "full_body"])
def test_bottoms_and_dresses_go_to_the_weight_free_engine_even_when_the_neural_one_is_loaded(garment_type):
    assert engine_for_garment(NeuralStandIn(), garment_type).name == "classic"


def test_tops_stay_with_the_neural_engine():
    neural = NeuralStandIn()

    assert engine_for_garment(neural, "upper_body") is neural

"""Rules that two layers must state apart (the Django-free pipeline cannot import the shop's models)
agree: the garment types."""

from shop.models import GarmentType
from tryon.pipeline.contract import GARMENT_TYPES


def test_the_shop_and_the_pipeline_know_the_same_garment_types():
    assert set(GarmentType.values) == set(GARMENT_TYPES)

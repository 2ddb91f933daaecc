"""The size finder's rules (shop.size_advice), without Django: edge cases of charts and bodies."""

from __future__ import annotations

import pytest

from shop.size_advice import (
    FIT_LOOSE,
    FIT_REGULAR,
    FIT_SNUG,
    BodyMeasurements,
    ChartRow,
    estimate_girth_cm,
    recommend_size,
)

TOPS_CHART = [
    ChartRow("S", chest=(86, 91), waist=(70, 75)),
    ChartRow("M", chest=(92, 99), waist=(76, 83)),
    ChartRow("L", chest=(100, 107), waist=(84, 91)),
]


def advise(body: BodyMeasurements, chart=TOPS_CHART, garment_type="upper_body"):
    return recommend_size(body=body, chart=chart, garment_type=garment_type)


def test_an_entered_chest_inside_a_range_gets_that_size_and_quotes_the_row():
    advice = advise(BodyMeasurements(height_cm=178, weight_kg=74, chest_cm=96))

    assert advice.size == "M"
    assert advice.between is None
    assert f"{advice.headline} — {advice.reason}" == "Recommended: M — chest 92–99 cm matches your 96 cm"


def test_the_measure_needing_the_larger_size_decides():
    advice = advise(BodyMeasurements(height_cm=178, weight_kg=74, chest_cm=90, waist_cm=86))

    assert advice.size == "L"
    assert advice.measure == "waist"
    assert advice.reason == "waist 84–91 cm matches your 86 cm"


@pytest.mark.parametrize(
    ("fit", "expected"),
    [(FIT_SNUG, "M"), (FIT_REGULAR, "M"), (FIT_LOOSE, "L")],
)
def test_at_the_top_edge_of_a_range_the_shopper_is_between_sizes_and_fit_chooses(fit, expected):
    advice = advise(BodyMeasurements(height_cm=178, weight_kg=74, fit=fit, chest_cm=99))

    assert advice.between == ("M", "L")
    assert advice.size == expected
    assert advice.between_note == f"You are between sizes M and L; {expected} suits a {fit} fit."


def test_at_the_bottom_edge_of_a_range_snug_takes_the_smaller_size():
    regular = advise(BodyMeasurements(height_cm=178, weight_kg=74, chest_cm=92))
    snug = advise(BodyMeasurements(height_cm=178, weight_kg=74, fit=FIT_SNUG, chest_cm=92))

    assert regular.between == snug.between == ("S", "M")
    assert regular.size == "M"
    assert snug.size == "S"
    assert snug.reason == "chest 86–91 cm ends below your 92 cm"


def test_a_value_in_a_gap_between_two_ranges_is_between_sizes_and_regular_takes_the_larger():
    chart = [ChartRow("S", chest=(86, 90)), ChartRow("M", chest=(94, 99))]

    advice = advise(BodyMeasurements(height_cm=178, weight_kg=74, chest_cm=92), chart=chart)

    assert advice.between == ("S", "M")
    assert advice.size == "M"
    assert advice.reason == "chest 94–99 cm starts above your 92 cm"


def test_below_the_smallest_size_recommends_the_smallest():
    advice = advise(BodyMeasurements(height_cm=150, weight_kg=40, chest_cm=78))

    assert advice.size == "S"
    assert advice.between is None


def test_above_the_largest_size_says_no_size_fits_and_names_the_limit():
    advice = advise(BodyMeasurements(height_cm=190, weight_kg=120, chest_cm=118))

    assert advice.size is None
    assert advice.headline == "No size on this chart fits"
    assert advice.reason == "our largest size, L, is cut for chest up to 107 cm; your 118 cm is above it"


def test_without_entered_girths_they_are_estimated_from_height_and_weight():
    advice = advise(BodyMeasurements(height_cm=175, weight_kg=70))

    assert advice.estimated
    assert "your estimated" in advice.reason
    assert advice.value_cm == round(estimate_girth_cm(measure=advice.measure, height_cm=175, weight_kg=70))


def test_an_entered_girth_is_not_overruled_by_an_estimate_of_another():
    # A heavy build would estimate the waist into L, but the shopper measured only the chest.
    advice = advise(BodyMeasurements(height_cm=170, weight_kg=95, chest_cm=95))

    assert advice.size == "M"
    assert advice.measure == "chest"
    assert not advice.estimated


def test_the_estimate_follows_height_and_build():
    average = estimate_girth_cm(measure="waist", height_cm=175, weight_kg=73.5)  # BMI 24
    heavier = estimate_girth_cm(measure="waist", height_cm=175, weight_kg=95)
    taller = estimate_girth_cm(measure="waist", height_cm=190, weight_kg=86.6)  # BMI 24 as well

    assert average == pytest.approx(175 * 0.50, abs=0.1)
    assert heavier > average + 10
    assert taller == pytest.approx(190 * 0.50, abs=0.1)


def test_bottoms_are_sized_on_waist_and_hips_and_ignore_the_chest():
    chart = [
        ChartRow("S", chest=(86, 91), waist=(70, 75), hips=(92, 97)),
        ChartRow("M", chest=(92, 99), waist=(76, 83), hips=(98, 105)),
    ]
    body = BodyMeasurements(height_cm=170, weight_kg=60, chest_cm=98, waist_cm=72, hips_cm=94)

    assert advise(body, chart=chart, garment_type="lower_body").size == "S"
    assert advise(body, chart=chart, garment_type="upper_body").size == "M"


def test_a_chart_without_the_garments_measures_gives_no_advice():
    chart = [ChartRow("S", chest=(86, 91)), ChartRow("M", chest=(92, 99))]

    assert advise(BodyMeasurements(height_cm=170, weight_kg=60), chart=chart, garment_type="lower_body") is None
    assert advise(BodyMeasurements(height_cm=170, weight_kg=60), chart=[]) is None


def test_a_measure_missing_from_one_row_is_not_used():
    chart = [ChartRow("S", chest=(86, 91), waist=(70, 75)), ChartRow("M", chest=(92, 99))]

    advice = advise(BodyMeasurements(height_cm=170, weight_kg=60, chest_cm=95, waist_cm=100), chart=chart)

    assert advice.size == "M"
    assert advice.measure == "chest"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"height_cm": 90, "weight_kg": 60}, "height of 90 cm is outside 120–230 cm"),
        ({"height_cm": 170, "weight_kg": 400}, "weight of 400 kg is outside 30–250 kg"),
        ({"height_cm": 170, "weight_kg": 60, "chest_cm": 20}, "chest of 20 cm is outside"),
        ({"height_cm": 170, "weight_kg": 60, "fit": "baggy"}, "Fit preference 'baggy'"),
    ],
)
def test_impossible_measurements_are_refused_with_what_is_wrong(fields, message):
    with pytest.raises(ValueError, match=message):
        BodyMeasurements(**fields)


def test_the_advice_as_data_carries_the_deciding_row_for_the_api():
    data = advise(BodyMeasurements(height_cm=178, weight_kg=74, chest_cm=99)).as_dict()

    assert data == {
        "size": "M",
        "measure": "chest",
        "value_cm": 99,
        "estimated": False,
        "chart_row": {"size": "M", "from_cm": 92, "to_cm": 99},
        "between": ["M", "L"],
        "fit": "regular",
        "message": "Recommended: M — chest 92–99 cm matches your 99 cm",
        "between_note": "You are between sizes M and L; M suits a regular fit.",
    }

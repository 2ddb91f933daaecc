"""The size finder: which size of a garment fits a shopper, and which chart row says so.

No Django here: the inputs are plain measurements and chart rows, so the rules can be tested on
their own and reused by the pages and the API alike.

How a size is chosen
--------------------
1. Only the measures that matter for the garment type count (tops: chest and waist; bottoms: waist
   and hips; dresses: all three) and only those the chart gives for every size.
2. Of those, the ones the shopper entered are used; only when they entered none of them are all
   estimated from height and weight (below), so a guess never overrules a tape measure.
3. For each measure, the size whose range holds the shopper's value. The measure that needs the
   largest size decides: a garment too tight in one place does not fit, however the rest fits.
4. "Between sizes": the value is within `BETWEEN_SIZES_MARGIN_CM` of the edge of its size's range
   with a neighbouring size beyond that edge, or falls in a gap between two ranges. Then the fit
   preference chooses: snug takes the smaller, loose the larger, regular the size whose range
   holds the value (the larger one in a gap).

Estimating girths from height and weight
----------------------------------------
With h the height in cm and BMI = weight (kg) / (height (m))²:

    chest ≈ h × (0.57 + 0.012 × (BMI − 24))
    waist ≈ h × (0.50 + 0.016 × (BMI − 24))
    hips  ≈ h × (0.59 + 0.010 × (BMI − 24))

Girth grows roughly in proportion to height and by about 2 cm (chest), 3 cm (waist) and 2 cm (hips)
per BMI unit for an adult of average height. The coefficients are this project's own rounded fit,
chosen so that average adults land near published means (for instance the US NHANES 2015–2018
adult mean waist circumference, about 102 cm for men and 98 cm for women at a mean BMI near 29).
It is an estimate for people who do not know their measurements; entered measurements always win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shop.models import GarmentType

FIT_SNUG, FIT_REGULAR, FIT_LOOSE = "snug", "regular", "loose"
FIT_PREFERENCES = (FIT_SNUG, FIT_REGULAR, FIT_LOOSE)

HEIGHT_RANGE_CM = (120, 230)
WEIGHT_RANGE_KG = (30, 250)
GIRTH_RANGE_CM = (40, 200)

BETWEEN_SIZES_MARGIN_CM = 1.0
REFERENCE_BMI = 24.0

# measure → (share of height at the reference BMI, change of that share per BMI unit)
GIRTH_FROM_HEIGHT: dict[str, tuple[float, float]] = {
    "chest": (0.57, 0.012),
    "waist": (0.50, 0.016),
    "hips": (0.59, 0.010),
}

MEASURES = ("chest", "waist", "hips")
MEASURES_BY_GARMENT_TYPE: dict[str, tuple[str, ...]] = {
    GarmentType.UPPER_BODY: ("chest", "waist"),
    GarmentType.LOWER_BODY: ("waist", "hips"),
    GarmentType.FULL_BODY: ("chest", "waist", "hips"),
}


@dataclass(frozen=True)
class BodyMeasurements:
    """A shopper's profile: height, weight, fit preference and the girths they know (cm)."""

    height_cm: float
    weight_kg: float
    fit: str = FIT_REGULAR
    chest_cm: float | None = None
    waist_cm: float | None = None
    hips_cm: float | None = None

    def __post_init__(self) -> None:
        _check_range("height", self.height_cm, HEIGHT_RANGE_CM, "cm")
        _check_range("weight", self.weight_kg, WEIGHT_RANGE_KG, "kg")
        for measure in MEASURES:
            value = getattr(self, f"{measure}_cm")
            if value is not None:
                _check_range(measure, value, GIRTH_RANGE_CM, "cm")
        if self.fit not in FIT_PREFERENCES:
            raise ValueError(f"Fit preference {self.fit!r} is not one of {', '.join(FIT_PREFERENCES)}.")


@dataclass(frozen=True)
class ChartRow:
    """One size of a chart: (from, to) in cm per measure, None where the measure does not apply."""

    size: str
    chest: tuple[float, float] | None = None
    waist: tuple[float, float] | None = None
    hips: tuple[float, float] | None = None

    def range_for(self, measure: str) -> tuple[float, float] | None:
        return getattr(self, measure)


@dataclass(frozen=True)
class SizeAdvice:
    """The finder's answer. `size` is None when the shopper is above the chart's largest size.

    `row` and `measure` are the chart row and measure that decided; `between` names the two
    neighbouring sizes when the shopper is close to both.
    """

    size: str | None
    measure: str
    value_cm: int
    estimated: bool
    row: ChartRow
    between: tuple[str, str] | None = None
    fit: str = FIT_REGULAR

    @property
    def measured_range(self) -> tuple[float, float]:
        return self.row.range_for(self.measure)

    @property
    def your_value(self) -> str:
        return f"your estimated {self.value_cm} cm" if self.estimated else f"your {self.value_cm} cm"

    @property
    def reason(self) -> str:
        """The chart row that decided, in words: "chest 96–100 cm matches your 98 cm"."""
        low, high = self.measured_range
        if self.size is None:
            return (
                f"our largest size, {self.row.size}, is cut for {self.measure} up to {high:g} cm; "
                f"{self.your_value} is above it"
            )
        if low <= self.value_cm <= high:
            return f"{self.measure} {low:g}–{high:g} cm matches {self.your_value}"
        edge = "starts above" if self.value_cm < low else "ends below"
        return f"{self.measure} {low:g}–{high:g} cm {edge} {self.your_value}"

    @property
    def headline(self) -> str:
        if self.size is None:
            return "No size on this chart fits"
        return f"Recommended: {self.size}"

    @property
    def between_note(self) -> str:
        if self.between is None:
            return ""
        smaller, larger = self.between
        return f"You are between sizes {smaller} and {larger}; {self.size} suits a {self.fit} fit."

    def as_dict(self) -> dict:
        low, high = self.measured_range
        return {
            "size": self.size,
            "measure": self.measure,
            "value_cm": self.value_cm,
            "estimated": self.estimated,
            "chart_row": {"size": self.row.size, "from_cm": low, "to_cm": high},
            "between": list(self.between) if self.between else None,
            "fit": self.fit,
            "message": f"{self.headline} — {self.reason}",
            "between_note": self.between_note,
        }


def _check_range(name: str, value: float, bounds: tuple[int, int], unit: str) -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"A {name} of {value:g} {unit} is outside {bounds[0]}–{bounds[1]} {unit}.")


def estimate_girth_cm(*, measure: str, height_cm: float, weight_kg: float) -> float:
    """A girth estimated from height and weight by the formula in this module's docstring."""
    share, per_bmi = GIRTH_FROM_HEIGHT[measure]
    bmi = weight_kg / (height_cm / 100) ** 2
    return height_cm * (share + per_bmi * (bmi - REFERENCE_BMI))


def body_girths(body: BodyMeasurements) -> dict[str, tuple[int, bool]]:
    """Each girth in whole cm with whether it was estimated (True) or entered (False)."""
    girths: dict[str, tuple[int, bool]] = {}
    for measure in MEASURES:
        entered = getattr(body, f"{measure}_cm")
        if entered is not None:
            girths[measure] = (round(entered), False)
        else:
            estimate = estimate_girth_cm(measure=measure, height_cm=body.height_cm, weight_kg=body.weight_kg)
            girths[measure] = (round(estimate), True)
    return girths


@dataclass(frozen=True)
class _MeasureFit:
    index: int | None  # the chosen row, None above the chart
    decided_by: int  # the row quoted to the shopper
    between: tuple[int, int] | None


def _fit_one_measure(rows: Sequence[ChartRow], measure: str, value: float, fit: str) -> _MeasureFit:
    ranges = [row.range_for(measure) for row in rows]
    last = len(rows) - 1
    if value > ranges[last][1]:
        return _MeasureFit(index=None, decided_by=last, between=None)
    if value < ranges[0][0]:
        return _MeasureFit(index=0, decided_by=0, between=None)
    for index, (low, high) in enumerate(ranges):
        if low <= value <= high:
            if index < last and high - value < BETWEEN_SIZES_MARGIN_CM:
                pair = (index, index + 1)
            elif index > 0 and value - low < BETWEEN_SIZES_MARGIN_CM:
                pair = (index - 1, index)
            else:
                return _MeasureFit(index=index, decided_by=index, between=None)
            chosen = {FIT_SNUG: pair[0], FIT_LOOSE: pair[1]}.get(fit, index)
            return _MeasureFit(index=chosen, decided_by=chosen, between=pair)
        if index < last and high < value < ranges[index + 1][0]:
            pair = (index, index + 1)
            chosen = pair[0] if fit == FIT_SNUG else pair[1]
            return _MeasureFit(index=chosen, decided_by=chosen, between=pair)
    raise ValueError(f"The {measure} ranges of the chart overlap or are out of size order.")


def recommend_size(*, body: BodyMeasurements, chart: Sequence[ChartRow], garment_type: str) -> SizeAdvice | None:
    """The size to suggest, or None when the chart has no measure that matters for this garment.

    `chart` is in size order, smallest first.
    """
    if not chart:
        return None
    measures = [
        measure
        for measure in MEASURES_BY_GARMENT_TYPE.get(garment_type, MEASURES)
        if all(row.range_for(measure) is not None for row in chart)
    ]
    if not measures:
        return None
    girths = body_girths(body)
    entered = [measure for measure in measures if not girths[measure][1]]
    measures = entered or measures
    deciding: tuple[str, _MeasureFit] | None = None
    for measure in measures:
        result = _fit_one_measure(chart, measure, girths[measure][0], body.fit)
        if result.index is None:
            deciding = (measure, result)
            break
        if deciding is None or result.index > deciding[1].index:
            deciding = (measure, result)
    measure, result = deciding
    value, estimated = girths[measure]
    return SizeAdvice(
        size=None if result.index is None else chart[result.index].size,
        measure=measure,
        value_cm=value,
        estimated=estimated,
        row=chart[result.decided_by],
        between=None if result.between is None else (chart[result.between[0]].size, chart[result.between[1]].size),
        fit=body.fit,
    )

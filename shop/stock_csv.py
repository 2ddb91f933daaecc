"""Stock levels as CSV, for staff who count stock in a spreadsheet.

Export writes every variant (`sku,product,size,stock,expected_stock`, the last two equal). Import
reads `sku,stock` and an optional `expected_stock` (other columns are ignored). A `stock` cell is
either a count (`12`) or a change by a number of units (`+5`, `-2`), applied to whatever the stock
is when the row is written, so sales meanwhile are kept. A count with `expected_stock` is a
compare-and-set: refused when the stock is no longer what the file expected (a sale since the
export); a count without it replaces the stock (a stocktake).

Every row is checked before anything is written, and one bad row rejects the whole file with a
report per row. Rows are numbered as a spreadsheet shows them: the header is row 1, the first
variant row 2. Each row is then one conditional update through `shop.stock`; a row whose stock
moved in the moment between the check and its write is refused and reported, the others kept.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import TextIO

from shop.models import Variant
from shop.stock import StockChangedMeanwhile, StockWouldGoNegative, adjust_stock, set_stock_if_unchanged

EXPORT_COLUMNS = ("sku", "product", "size", "stock", "expected_stock")
REQUIRED_IMPORT_COLUMNS = ("sku", "stock")
EXPECTED_STOCK_COLUMN = "expected_stock"
# The largest value the `stock` integer column holds on every supported database.
MAX_STOCK = 2_147_483_647
# SKUs looked up per query, well under SQLite's limit on query parameters.
SKU_LOOKUP_BATCH = 500
# Spreadsheet programs run cells starting with these as formulas; exported names are made inert.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
WHOLE_NUMBER = re.compile(r"[+-]?\d+")
SIGNED = ("+", "-")


@dataclass(frozen=True)
class StockRowError:
    row: int | None  # None: the problem is with the file, not one row
    sku: str
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}" if self.row is not None else "File"
        return f"{where}{f' ({self.sku})' if self.sku else ''}: {self.message}"


class StockImportRejected(Exception):
    """The file had at least one invalid row; nothing was written."""

    def __init__(self, errors: list[StockRowError]) -> None:
        self.errors = errors
        super().__init__(f"Stock import rejected with {len(errors)} error(s); no stock was changed.")


@dataclass(frozen=True)
class StockRowPlan:
    """One checked row: set the count to `new` if it is still `expected`, or change it by `delta`."""

    row: int
    sku: str
    variant_id: int
    current: int
    new: int | None = None
    expected: int | None = None
    delta: int | None = None

    @property
    def is_change(self) -> bool:
        return bool(self.delta) or (self.new is not None and self.new != self.current)


@dataclass
class StockImportSummary:
    rows: int = 0
    changed: dict[str, tuple[int, int]] = field(default_factory=dict)  # sku -> (old, new)
    refused: list[StockRowError] = field(default_factory=list)  # rows whose stock moved while writing

    @property
    def unchanged(self) -> int:
        return self.rows - len(self.changed) - len(self.refused)

    def __str__(self) -> str:
        text = f"Stock import: {len(self.changed)} variant(s) updated, {self.unchanged} already had that stock."
        if self.refused:
            text += f" {len(self.refused)} row(s) refused: " + "; ".join(str(error) for error in self.refused)
        return text


def _spreadsheet_safe(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def stock_export_csv(*, out: TextIO) -> int:
    """Write every variant's stock to `out`; returns the number of variant rows."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    variants = Variant.objects.select_related("product").order_by("sku").only("sku", "size", "stock", "product__name")
    for variant in variants.iterator(chunk_size=1000):
        name = _spreadsheet_safe(variant.product.name)
        writer.writerow([variant.sku, name, variant.size, variant.stock, variant.stock])
        count += 1
    return count


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        raise StockImportRejected(
            [StockRowError(row, "", "not UTF-8 text; save the file as CSV UTF-8 and upload it again.")]
        ) from error


def _parse_count(raw: str, column: str) -> tuple[int | None, str]:
    """A count (0 or more) and, when it is not a usable count, why."""
    text = raw.strip()
    if not text:
        return None, f"{column} is empty."
    if not WHOLE_NUMBER.fullmatch(text):
        return None, f"{column} {raw!r} is not a whole number."
    value = int(text)
    if value < 0:
        return None, f"{column} {value} is negative."
    if value > MAX_STOCK:
        return None, f"{column} {value} is larger than {MAX_STOCK}."
    return value, ""


def _parse_stock_cell(raw: str) -> tuple[int | None, int | None, str]:
    """(count, None, "") for `12`, (None, change, "") for `+5`/`-2`, or the problem."""
    text = raw.strip()
    if text.startswith(SIGNED) and WHOLE_NUMBER.fullmatch(text):
        delta = int(text)
        if abs(delta) > MAX_STOCK:
            return None, None, f"change {text} is larger than {MAX_STOCK}."
        return None, delta, ""
    count, problem = _parse_count(raw, "stock")
    return count, None, problem


def _current_stock(skus: list[str]) -> dict[str, tuple[int, int]]:
    """{sku: (variant id, stock)} of the SKUs that exist."""
    current: dict[str, tuple[int, int]] = {}
    for start in range(0, len(skus), SKU_LOOKUP_BATCH):
        batch = skus[start : start + SKU_LOOKUP_BATCH]
        current.update(
            (sku, (pk, stock))
            for sku, pk, stock in Variant.objects.filter(sku__in=batch).values_list("sku", "pk", "stock")
        )
    return current


@dataclass(frozen=True)
class _WantedRow:
    row: int
    count: int | None
    delta: int | None
    expected: int | None


def _plan_row(sku: str, wanted: _WantedRow, variant_id: int, current: int) -> StockRowPlan | StockRowError:
    if wanted.delta is not None:
        if current + wanted.delta < 0:
            return StockRowError(
                wanted.row, sku, f"taking {-wanted.delta} would leave less than 0 (stock is now {current})."
            )
        if current + wanted.delta > MAX_STOCK:
            return StockRowError(wanted.row, sku, f"adding {wanted.delta} would go past {MAX_STOCK}.")
        return StockRowPlan(row=wanted.row, sku=sku, variant_id=variant_id, current=current, delta=wanted.delta)
    if wanted.expected is not None and wanted.expected != current:
        return StockRowError(
            wanted.row,
            sku,
            f"stock changed since this file was exported (expected_stock {wanted.expected}): now {current}. "
            "Export again, or write the change as +N / -N.",
        )
    return StockRowPlan(
        row=wanted.row, sku=sku, variant_id=variant_id, current=current, new=wanted.count, expected=current
    )


def stock_import_validate(*, data: bytes) -> list[StockRowPlan]:
    """Check every row; returns the plan of each row or raises StockImportRejected."""
    text = _decode(data)
    if not text.strip():
        raise StockImportRejected([StockRowError(None, "", "the file is empty; expected a header row sku,stock.")])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED_IMPORT_COLUMNS if column not in header]
    if missing:
        raise StockImportRejected(
            [StockRowError(1, "", f"missing column(s) {', '.join(missing)}; the header must include sku,stock.")]
        )
    reader.fieldnames = header

    errors: list[StockRowError] = []
    wanted: dict[str, _WantedRow] = {}
    try:
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as error:
        raise StockImportRejected([StockRowError(reader.line_num, "", f"not readable as CSV: {error}.")]) from error
    for row, record in records:
        sku = (record.get("sku") or "").strip()
        if None in record:
            errors.append(StockRowError(row, sku, "more cells than header columns."))
            continue
        if not sku:
            errors.append(StockRowError(row, "", "SKU is empty."))
            continue
        count, delta, problem = _parse_stock_cell(record.get("stock") or "")
        if problem:
            errors.append(StockRowError(row, sku, problem))
        expected = None
        if (record.get(EXPECTED_STOCK_COLUMN) or "").strip() and delta is None:
            expected, expected_problem = _parse_count(record[EXPECTED_STOCK_COLUMN], EXPECTED_STOCK_COLUMN)
            if expected_problem:
                errors.append(StockRowError(row, sku, expected_problem))
        if sku in wanted:
            errors.append(StockRowError(row, sku, f"SKU appears twice (first on row {wanted[sku].row})."))
            continue
        wanted[sku] = _WantedRow(row=row, count=count, delta=delta, expected=expected)

    if not wanted and not errors:
        errors.append(StockRowError(None, "", "the file has a header but no rows."))
    current = _current_stock(list(wanted))
    plans: list[StockRowPlan] = []
    for sku, wanted_row in wanted.items():
        if sku not in current:
            errors.append(StockRowError(wanted_row.row, sku, "no variant has this SKU."))
            continue
        if wanted_row.count is None and wanted_row.delta is None:
            continue  # its cell was already reported
        planned = _plan_row(sku, wanted_row, *current[sku])
        if isinstance(planned, StockRowError):
            errors.append(planned)
        else:
            plans.append(planned)
    if errors:
        errors.sort(key=lambda error: error.row or 0)
        raise StockImportRejected(errors)
    return plans


def stock_import_csv(*, data: bytes) -> StockImportSummary:
    """Validate the whole file, then write each row that changes the stock through `shop.stock`."""
    plans = stock_import_validate(data=data)
    summary = StockImportSummary(rows=len(plans))
    for plan in plans:
        if not plan.is_change:
            continue
        try:
            if plan.delta is not None:
                adjust_stock(variant_id=plan.variant_id, delta=plan.delta)
                new = plan.current + plan.delta
            else:
                set_stock_if_unchanged(variant_id=plan.variant_id, expected=plan.expected, new=plan.new)
                new = plan.new
        except (StockChangedMeanwhile, StockWouldGoNegative) as refusal:
            summary.refused.append(StockRowError(plan.row, plan.sku, f"{refusal}."))
            continue
        summary.changed[plan.sku] = (plan.current, new)
    return summary

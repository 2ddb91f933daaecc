"""Stock levels as CSV, for staff who count stock in a spreadsheet.

Export writes every variant (`sku,product,size,stock`). Import reads `sku,stock` (other columns, such
as those of an export, are ignored) and is all-or-nothing: every row is checked before anything is
written, and one bad row rejects the whole file with a report per row. Rows are numbered as a
spreadsheet shows them: the header is row 1, the first variant row 2.

Each changed row is one `filter(sku=...).update(stock=...)`: an absolute count set by staff, with no
transaction needed (the checks ran before the first write).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import TextIO

from shop.models import Variant

EXPORT_COLUMNS = ("sku", "product", "size", "stock")
REQUIRED_IMPORT_COLUMNS = ("sku", "stock")
# The largest value the `stock` integer column holds on every supported database.
MAX_STOCK = 2_147_483_647
# SKUs looked up per query, well under SQLite's limit on query parameters.
SKU_LOOKUP_BATCH = 500
# Spreadsheet programs run cells starting with these as formulas; exported names are made inert.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
WHOLE_NUMBER = re.compile(r"[+-]?\d+")


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


@dataclass
class StockImportSummary:
    rows: int = 0
    changed: dict[str, tuple[int, int]] = field(default_factory=dict)  # sku -> (old, new)

    @property
    def unchanged(self) -> int:
        return self.rows - len(self.changed)

    def __str__(self) -> str:
        return f"Stock import: {len(self.changed)} variant(s) updated, {self.unchanged} already had that stock."


def _spreadsheet_safe(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def stock_export_csv(*, out: TextIO) -> int:
    """Write every variant's stock to `out`; returns the number of variant rows."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    variants = Variant.objects.select_related("product").order_by("sku").only("sku", "size", "stock", "product__name")
    for variant in variants.iterator(chunk_size=1000):
        writer.writerow([variant.sku, _spreadsheet_safe(variant.product.name), variant.size, variant.stock])
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


def _parse_stock(raw: str) -> tuple[int | None, str]:
    """The stock value and, when it is not a usable count, why."""
    text = raw.strip()
    if not text:
        return None, "stock is empty."
    if not WHOLE_NUMBER.fullmatch(text):
        return None, f"stock {raw!r} is not a whole number."
    value = int(text)
    if value < 0:
        return None, f"stock {value} is negative."
    if value > MAX_STOCK:
        return None, f"stock {value} is larger than {MAX_STOCK}."
    return value, ""


def _current_stock(skus: list[str]) -> dict[str, int]:
    current: dict[str, int] = {}
    for start in range(0, len(skus), SKU_LOOKUP_BATCH):
        batch = skus[start : start + SKU_LOOKUP_BATCH]
        current.update(Variant.objects.filter(sku__in=batch).values_list("sku", "stock"))
    return current


def stock_import_validate(*, data: bytes) -> dict[str, tuple[int, int]]:
    """Check every row; returns `{sku: (current stock, new stock)}` or raises StockImportRejected."""
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
    wanted: dict[str, tuple[int, int]] = {}  # sku -> (row, new stock)
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
        stock, problem = _parse_stock(record.get("stock") or "")
        if problem:
            errors.append(StockRowError(row, sku, problem))
        if sku in wanted:
            errors.append(StockRowError(row, sku, f"SKU appears twice (first on row {wanted[sku][0]})."))
            continue
        wanted[sku] = (row, stock if stock is not None else -1)

    if not wanted and not errors:
        errors.append(StockRowError(None, "", "the file has a header but no rows."))
    current = _current_stock(list(wanted))
    for sku, (row, _stock) in wanted.items():
        if sku not in current:
            errors.append(StockRowError(row, sku, "no variant has this SKU."))
    if errors:
        errors.sort(key=lambda error: error.row or 0)
        raise StockImportRejected(errors)
    return {sku: (current[sku], new_stock) for sku, (_row, new_stock) in wanted.items()}


def stock_import_csv(*, data: bytes) -> StockImportSummary:
    """Validate the whole file, then set the stock of each variant whose count changed."""
    plan = stock_import_validate(data=data)
    summary = StockImportSummary(rows=len(plan))
    for sku, (old_stock, new_stock) in plan.items():
        if old_stock == new_stock:
            continue
        Variant.objects.filter(sku=sku).update(stock=new_stock)
        summary.changed[sku] = (old_stock, new_stock)
    return summary

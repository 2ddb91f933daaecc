"""Stock CSV export and all-or-nothing import by SKU."""

from __future__ import annotations

import csv
import io

import pytest

from revetir.testing.factories import make_product
from shop import stock_csv
from shop.models import Variant
from shop.stock import reserve_stock
from shop.stock_csv import StockImportRejected, stock_export_csv, stock_import_csv


def stock_by_sku() -> dict[str, int]:
    return dict(Variant.objects.values_list("sku", "stock"))


def rejection_for(data: bytes) -> list[str]:
    with pytest.raises(StockImportRejected) as caught:
        stock_import_csv(data=data)
    return [str(error) for error in caught.value.errors]


@pytest.fixture
def two_variants() -> tuple[Variant, Variant]:
    product = make_product("Linen Shirt", stock={"S": 3, "M": 7})
    product.variants.filter(size="S").update(sku="SHIRT-S")
    product.variants.filter(size="M").update(sku="SHIRT-M")
    return Variant.objects.get(sku="SHIRT-S"), Variant.objects.get(sku="SHIRT-M")


@pytest.mark.django_db
def test_export_lists_every_variant_with_product_size_and_stock(two_variants):
    make_product("=HYPERLINK(evil)", stock={"L": 0})
    out = io.StringIO()

    count = stock_export_csv(out=out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == 3
    assert {
        row["sku"]: (row["product"], row["size"], row["stock"]) for row in rows if row["sku"].startswith("SHIRT")
    } == {
        "SHIRT-M": ("Linen Shirt", "M", "7"),
        "SHIRT-S": ("Linen Shirt", "S", "3"),
    }
    # A product name that a spreadsheet would run as a formula is exported as text.
    assert any(row["product"] == "'=HYPERLINK(evil)" for row in rows)


@pytest.mark.django_db
def test_an_exported_file_can_be_edited_and_imported_back(two_variants):
    out = io.StringIO()
    stock_export_csv(out=out)
    edited = out.getvalue().replace("SHIRT-M,Linen Shirt,M,7", "SHIRT-M,Linen Shirt,M,12")

    summary = stock_import_csv(data=edited.encode())

    assert stock_by_sku() == {"SHIRT-S": 3, "SHIRT-M": 12}
    assert summary.changed == {"SHIRT-M": (7, 12)}
    assert summary.unchanged == 1


@pytest.mark.django_db
def test_valid_import_sets_stock_by_sku_and_accepts_a_spreadsheet_bom(two_variants):
    summary = stock_import_csv(data="\ufeffSKU,Stock\r\nSHIRT-S, 0\r\nSHIRT-M,40\r\n".encode())

    assert stock_by_sku() == {"SHIRT-S": 0, "SHIRT-M": 40}
    assert str(summary) == "Stock import: 2 variant(s) updated, 0 already had that stock."


@pytest.mark.django_db
def test_one_bad_row_rejects_the_file_and_writes_nothing(two_variants):
    errors = rejection_for(b"sku,stock\nSHIRT-S,10\nSHIRT-M,-8\n")

    assert errors == ["Row 3 (SHIRT-M): taking 8 would leave less than 0 (stock is now 7)."]
    assert stock_by_sku() == {"SHIRT-S": 3, "SHIRT-M": 7}


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_its_row_number(two_variants):
    data = b"sku,stock\nSHIRT-S,2.5\nNO-SUCH-SKU,1\nSHIRT-M,4\nSHIRT-M,5\n,3\nSHIRT-S,\n"

    errors = rejection_for(data)

    assert errors == [
        "Row 2 (SHIRT-S): stock '2.5' is not a whole number.",
        "Row 3 (NO-SUCH-SKU): no variant has this SKU.",
        "Row 5 (SHIRT-M): SKU appears twice (first on row 4).",
        "Row 6: SKU is empty.",
        "Row 7 (SHIRT-S): stock is empty.",
        "Row 7 (SHIRT-S): SKU appears twice (first on row 2).",
    ]
    assert stock_by_sku() == {"SHIRT-S": 3, "SHIRT-M": 7}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "File: the file is empty; expected a header row sku,stock."),
        (b"sku,quantity\nSHIRT-S,1\n", "Row 1: missing column(s) stock; the header must include sku,stock."),
        (b"sku,stock\n", "File: the file has a header but no rows."),
        ("sku,stock\nSHIRT-S,5\nCAFÉ,1\n".encode("latin-1"), "Row 3: not UTF-8 text"),
    ],
)
def test_unusable_files_are_rejected_with_a_reason(two_variants, data, expected):
    errors = rejection_for(data)

    assert len(errors) == 1
    assert errors[0].startswith(expected)
    assert stock_by_sku() == {"SHIRT-S": 3, "SHIRT-M": 7}


# --- Staff edits never overwrite a sale (issue #12, failure 4) ------------------------------------


def exported_with(edit: tuple[str, str]) -> bytes:
    out = io.StringIO()
    stock_export_csv(out=out)
    return out.getvalue().replace(*edit).encode()


@pytest.mark.django_db
def test_a_count_from_an_export_is_refused_when_a_sale_happened_since_the_export(two_variants):
    _small, medium = two_variants
    edited = exported_with(("SHIRT-M,Linen Shirt,M,7,7", "SHIRT-M,Linen Shirt,M,12,7"))
    assert reserve_stock(variant_id=medium.pk, quantity=2)  # a shopper buys two meanwhile

    errors = rejection_for(edited)

    assert errors == [
        "Row 2 (SHIRT-M): stock changed since this file was exported (expected_stock 7): now 5. "
        "Export again, or write the change as +N / -N."
    ]
    assert stock_by_sku() == {"SHIRT-S": 3, "SHIRT-M": 5}


@pytest.mark.django_db
def test_a_change_by_units_is_applied_on_top_of_a_sale_made_after_the_file_was_written(two_variants):
    small, medium = two_variants
    data = b"sku,stock\nSHIRT-S,-1\nSHIRT-M,+5\n"
    assert reserve_stock(variant_id=medium.pk, quantity=2)
    assert reserve_stock(variant_id=small.pk, quantity=1)

    summary = stock_import_csv(data=data)

    assert stock_by_sku() == {"SHIRT-S": 1, "SHIRT-M": 10}
    assert summary.changed == {"SHIRT-S": (2, 1), "SHIRT-M": (5, 10)}


@pytest.mark.django_db
def test_a_row_whose_stock_moves_between_the_check_and_its_write_is_refused_and_reported(two_variants, monkeypatch):
    small, _medium = two_variants
    checked = stock_csv.stock_import_validate

    def check_then_sell(*, data):
        plans = checked(data=data)
        assert reserve_stock(variant_id=small.pk, quantity=1)  # the sale lands after the check
        return plans

    monkeypatch.setattr(stock_csv, "stock_import_validate", check_then_sell)

    summary = stock_import_csv(data=b"sku,stock,expected_stock\nSHIRT-S,9,3\nSHIRT-M,8,7\n")

    assert stock_by_sku() == {"SHIRT-S": 2, "SHIRT-M": 8}
    assert [str(error) for error in summary.refused] == [
        "Row 2 (SHIRT-S): stock changed since you opened this page: now 2."
    ]
    assert "1 row(s) refused" in str(summary)

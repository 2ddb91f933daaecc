"""The staff admin: access, catalogue changelists and filters, stock editing and CSV, order status."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from revetir.testing.factories import make_category, make_order, make_product, make_staff, make_user
from shop.admin.vouchers import VoucherAdmin
from shop.models import Order, OrderStatus, Product, Variant, Voucher


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff())
    return client


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    ["admin:index", "admin:shop_variant_changelist", "admin:shop_variant_import", "admin:shop_variant_export"],
)
def test_shoppers_who_are_not_staff_are_sent_to_the_admin_login(client, url_name):
    client.force_login(make_user())
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "shop_category",
        "shop_product",
        "shop_variant",
        "shop_order",
        "shop_shippingmethod",
        "shop_voucher",
        "accounts_user",
        "accounts_address",
    ],
)
def test_changelists_load_for_staff(staff_client, model):
    make_order(user=make_user())
    response = staff_client.get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_product_change_page_shows_variant_image_and_size_chart_inlines(staff_client):
    product = make_product(stock={"S": 1, "M": 2})
    response = staff_client.get(reverse("admin:shop_product_change", args=[product.pk]))
    assert response.status_code == 200
    prefixes = {formset.formset.prefix for formset in response.context["inline_admin_formsets"]}
    assert prefixes == {"variants", "images", "size_chart"}


# --- Catalogue ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_low_stock_filter_lists_products_with_any_variant_at_or_below_the_threshold(staff_client, settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 3
    running_low = make_product("Running Low", stock={"S": 3, "M": 50})
    plenty = make_product("Plenty", stock={"S": 4, "M": 50})

    products = staff_client.get(reverse("admin:shop_product_changelist"), {"stock_level": "low"})
    variants = staff_client.get(reverse("admin:shop_variant_changelist"), {"stock_level": "low"})

    assert list(products.context["cl"].result_list) == [running_low]
    assert plenty not in products.context["cl"].result_list
    assert [variant.sku for variant in variants.context["cl"].result_list] == [running_low.variants.get(size="S").sku]


@pytest.mark.django_db
def test_each_stock_box_in_the_stock_list_is_labelled_with_its_sku(staff_client):
    variant = make_product("Wool Coat").variants.get()

    html = staff_client.get(reverse("admin:shop_variant_changelist")).content.decode()

    assert f'aria-label="Stock of {variant.sku}"' in html


@pytest.mark.django_db
def test_product_search_finds_by_sku(staff_client):
    wanted = make_product("Wool Coat")
    make_product("Cotton Tee")
    sku = wanted.variants.get().sku

    response = staff_client.get(reverse("admin:shop_product_changelist"), {"q": sku})

    assert list(response.context["cl"].result_list) == [wanted]


@pytest.mark.django_db
def test_activate_and_deactivate_actions(staff_client):
    hidden = make_product(is_active=False)
    shown = make_product(is_active=True)
    url = reverse("admin:shop_product_changelist")

    staff_client.post(url, {"action": "activate_products", "_selected_action": [hidden.pk]})
    response = staff_client.post(url, {"action": "deactivate_products", "_selected_action": [shown.pk]})

    assert Product.objects.get(pk=hidden.pk).is_active is True
    assert Product.objects.get(pk=shown.pk).is_active is False
    assert "1 product(s) deactivated." in message_texts(response)


@pytest.mark.django_db
def test_category_changelist_filters_by_parent(staff_client):
    women = make_category("Women")
    dresses = make_category("Dresses", parent=women)
    make_category("Men")

    response = staff_client.get(reverse("admin:shop_category_changelist"), {"parent__id__exact": women.pk})

    assert list(response.context["cl"].result_list) == [dresses]


# --- Stock ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_stock_is_editable_from_the_variant_changelist(staff_client):
    variant = make_product(stock={"M": 5}).variants.get()
    response = staff_client.post(
        reverse("admin:shop_variant_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(variant.pk),
            "form-0-stock": "17",
            "form-0-stock_seen": "5",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert Variant.objects.get(pk=variant.pk).stock == 17


@pytest.mark.django_db
def test_negative_stock_from_the_changelist_is_refused(staff_client):
    variant = make_product(stock={"M": 5}).variants.get()
    response = staff_client.post(
        reverse("admin:shop_variant_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(variant.pk),
            "form-0-stock": "-2",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert response.context["cl"].formset.errors[0]["stock"]
    assert Variant.objects.get(pk=variant.pk).stock == 5


@pytest.mark.django_db
def test_stock_csv_export_from_the_admin_lists_every_variant(staff_client):
    product = make_product("Rain Jacket", stock={"S": 2, "L": 9})

    response = staff_client.get(reverse("admin:shop_variant_export"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="revetir-stock-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["sku", "product", "size", "stock", "expected_stock"]
    assert sorted(rows[1:]) == sorted(
        [variant.sku, "Rain Jacket", variant.size, str(variant.stock), str(variant.stock)]
        for variant in product.variants.all()
    )


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("stock.csv", content, content_type="text/csv")


@pytest.mark.django_db
def test_stock_csv_import_with_one_bad_row_writes_nothing_and_reports_the_row(staff_client):
    product = make_product(stock={"S": 2, "M": 4})
    small, medium = product.variants.get(size="S"), product.variants.get(size="M")
    content = f"sku,stock\n{small.sku},20\n{medium.sku},lots\n".encode()

    response = staff_client.post(reverse("admin:shop_variant_import"), {"file": upload(content)})

    assert response.status_code == 200
    assert [(error.row, error.sku) for error in response.context["row_errors"]] == [(3, medium.sku)]
    assert "stock &#x27;lots&#x27; is not a whole number." in response.content.decode()
    assert dict(product.variants.values_list("size", "stock")) == {"S": 2, "M": 4}


@pytest.mark.django_db
def test_valid_stock_csv_import_updates_stock_and_reports_a_summary(staff_client):
    product = make_product(stock={"S": 2, "M": 4})
    small, medium = product.variants.get(size="S"), product.variants.get(size="M")
    content = f"sku,stock\n{small.sku},20\n{medium.sku},4\n".encode()

    response = staff_client.post(reverse("admin:shop_variant_import"), {"file": upload(content)})

    assert response["Location"] == reverse("admin:shop_variant_changelist")
    assert dict(product.variants.values_list("size", "stock")) == {"S": 20, "M": 4}
    assert "Stock import: 1 variant(s) updated, 1 already had that stock." in message_texts(response)


@pytest.mark.django_db
def test_stock_csv_import_is_refused_to_non_staff(client):
    variant = make_product(stock={"M": 4}).variants.get()
    client.force_login(make_user())
    response = client.post(
        reverse("admin:shop_variant_import"), {"file": upload(f"sku,stock\n{variant.sku},99\n".encode())}
    )
    assert response.status_code == 302
    assert Variant.objects.get(pk=variant.pk).stock == 4


# --- Orders -----------------------------------------------------------------------------------------


def post_order_status(client, order: Order, status: str, tracking_number: str = ""):
    url = reverse("admin:shop_order_change", args=[order.pk])
    page = client.get(url)
    lines = page.context["inline_admin_formsets"][0].formset.management_form
    data = {lines.add_prefix(name): value for name, value in lines.initial.items()}
    data.update({"status": status, "tracking_number": tracking_number, "_save": "Save"})
    return client.post(url, data)


@pytest.mark.django_db
def test_order_status_choices_are_the_current_status_and_its_allowed_moves(staff_client):
    order = make_order(status=OrderStatus.PROCESSING)
    response = staff_client.get(reverse("admin:shop_order_change", args=[order.pk]))
    choices = {value for value, _label in response.context["adminform"].form.fields["status"].choices}
    assert choices == {OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.CANCELLED}


@pytest.mark.django_db
def test_admin_moves_an_order_along_an_allowed_transition(staff_client):
    order = make_order(status=OrderStatus.PLACED)
    response = post_order_status(staff_client, order, OrderStatus.PROCESSING)
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING


@pytest.mark.django_db
def test_admin_refuses_a_transition_the_shop_does_not_allow(staff_client):
    order = make_order(status=OrderStatus.PLACED)
    response = post_order_status(staff_client, order, OrderStatus.DELIVERED)
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED


@pytest.mark.django_db
def test_admin_asks_for_the_tracking_number_before_marking_an_order_shipped(staff_client, mailoutbox):
    order = make_order(status=OrderStatus.PROCESSING)

    refused = post_order_status(staff_client, order, OrderStatus.SHIPPED)

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["tracking_number"] == [
        "Enter the courier's tracking number to mark the order shipped."
    ]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING
    assert mailoutbox == []

    shipped = post_order_status(staff_client, order, OrderStatus.SHIPPED, tracking_number=" 1Z999AA10123456784 ")

    assert shipped.status_code == 302
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.tracking_number) == (OrderStatus.SHIPPED, "1Z999AA10123456784")
    assert stored.shipped_email_sent_at is not None
    assert [mail.subject for mail in mailoutbox] == [f"Your Revetir order {order.number} is on its way"]
    assert "1Z999AA10123456784" in mailoutbox[0].body


@pytest.mark.django_db
def test_ship_action_refuses_orders_without_a_tracking_number(staff_client):
    order = make_order(status=OrderStatus.PROCESSING)

    response = staff_client.post(
        reverse("admin:shop_order_changelist"), {"action": "mark_shipped", "_selected_action": [order.pk]}
    )

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING
    assert any("needs the courier's tracking number" in text for text in message_texts(response))


@pytest.mark.django_db
def test_staff_create_a_voucher_with_its_code_in_capitals_and_cannot_reuse_a_code(staff_client):
    data = {
        "code": "summer20",
        "kind": "percentage",
        "value": "20",
        "minimum_subtotal": "0.00",
        "per_customer_limit": "1",
        "active": "on",
        "voucher_uses-TOTAL_FORMS": "0",
        "voucher_uses-INITIAL_FORMS": "0",
    }
    created = staff_client.post(reverse("admin:shop_voucher_add"), data)
    assert created.status_code == 302
    assert Voucher.objects.get().code == "SUMMER20"

    again = staff_client.post(reverse("admin:shop_voucher_add"), {**data, "code": "Summer20"})
    assert again.status_code == 200
    assert again.context["adminform"].form.errors["code"] == ["There is already a voucher SUMMER20."]


@pytest.mark.django_db
def test_editing_a_voucher_in_admin_keeps_the_uses_checkout_counted_meanwhile(staff_client, monkeypatch):
    voucher = Voucher.objects.create(code="SPRING", value="10", usage_limit=5)
    url = reverse("admin:shop_voucher_change", args=[voucher.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {"usage_limit": "10", "active": "on", "voucher_uses-TOTAL_FORMS": "0", "voucher_uses-INITIAL_FORMS": "0"}
    )
    load_voucher = VoucherAdmin.get_object

    def load_then_a_checkout_uses_it(self, request, object_id, from_field=None):
        loaded = load_voucher(self, request, object_id, from_field)
        Voucher.objects.filter(pk=voucher.pk).update(uses=3)  # orders placed while staff save
        return loaded

    monkeypatch.setattr(VoucherAdmin, "get_object", load_then_a_checkout_uses_it)
    response = staff_client.post(url, data)

    assert response.status_code == 302
    voucher.refresh_from_db()
    assert (voucher.usage_limit, voucher.uses) == (10, 3)


@pytest.mark.django_db
def test_cancel_action_returns_stock_and_reports_orders_that_could_not_move(staff_client):
    cancellable = make_order(status=OrderStatus.PLACED, quantity=2)
    delivered = make_order(status=OrderStatus.DELIVERED)

    response = staff_client.post(
        reverse("admin:shop_order_changelist"),
        {"action": "mark_cancelled", "_selected_action": [cancellable.pk, delivered.pk]},
    )

    assert Order.objects.get(pk=cancellable.pk).status == OrderStatus.CANCELLED
    assert cancellable.lines.get().variant.stock == 7
    assert Order.objects.get(pk=delivered.pk).status == OrderStatus.DELIVERED
    texts = message_texts(response)
    assert f"1 order(s) marked cancelled: {cancellable.number}." in texts
    assert any(text.startswith("1 order(s) not changed.") and delivered.number in text for text in texts)


@pytest.mark.django_db
def test_orders_cannot_be_added_or_deleted_from_the_admin(staff_client):
    order = make_order()
    assert staff_client.get(reverse("admin:shop_order_add")).status_code == 403
    assert staff_client.post(reverse("admin:shop_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


@pytest.mark.django_db
def test_order_search_by_customer_email(staff_client):
    wanted = make_order(user=make_user("findme@example.com"))
    make_order(user=make_user("other@example.com"))
    response = staff_client.get(reverse("admin:shop_order_changelist"), {"q": "findme@"})
    assert list(response.context["cl"].result_list) == [wanted]


# --- Users ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_add_a_user_by_email_with_the_password_twice(staff_client):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Staff@Example.com",
            "full_name": "New Staff",
            "usable_password": "true",
            "password1": "a-long-and-unusual-pass-99",
            "password2": "a-long-and-unusual-pass-99",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(email="new.staff@example.com")
    assert created.check_password("a-long-and-unusual-pass-99")


@pytest.mark.django_db
def test_deleting_a_user_in_the_admin_anonymises_their_orders(staff_client):
    shopper = make_user("bye@example.com")
    order = make_order(user=shopper)

    response = staff_client.post(reverse("admin:accounts_user_delete", args=[shopper.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(email="bye@example.com").exists()
    order.refresh_from_db()
    assert (order.user, order.email) == (None, "")


@pytest.mark.django_db
def test_variant_changelist_links_to_stock_export_and_import(staff_client):
    response = staff_client.get(reverse("admin:shop_variant_changelist"))
    page = response.content.decode()
    assert reverse("admin:shop_variant_export") in page
    assert reverse("admin:shop_variant_import") in page

"""Writes for the cart, checkout and orders, one module each: `cart.py`, `checkout.py`,
`orders.py`. Callers import them from here (`from shop import services`).

Nothing here relies on database transactions (MongoDB has none): stock moves only through
`shop.stock`'s conditional updates, order status through conditional updates on the order row,
and every multi-step write undoes its earlier steps when a later one fails.
"""

from shop.services.cart import (
    SESSION_CART_ID_KEY,
    CartError,
    CartLineChange,
    cart_add_item,
    cart_get_or_create,
    cart_get_or_create_for_session,
    cart_get_or_create_for_user,
    cart_line_remove,
    cart_line_set_quantity,
    cart_merge,
    cart_merge_on_login,
    describe_variant,
    forget_cart_badge,
    line_limit_message,
    max_line_quantity,
)
from shop.services.checkout import (
    CHECKOUT_CLAIM_POLL_SECONDS,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    ORDER_NUMBER_ATTEMPTS,
    ORDER_NUMBER_PREFIX,
    ORDER_NUMBER_RANDOM_BYTES,
    REQUIRED_ADDRESS_FIELDS,
    CheckoutError,
    new_checkout_key,
    order_for_idempotency_key,
    place_order,
)
from shop.services.orders import (
    CUSTOMER_CANCELLABLE_STATUSES,
    InvalidOrderTransition,
    order_cancel_by_customer,
    order_change_status,
    order_set_tracking_number,
)

__all__ = [
    "CHECKOUT_CLAIM_POLL_SECONDS",
    "CUSTOMER_CANCELLABLE_STATUSES",
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "ORDER_NUMBER_ATTEMPTS",
    "ORDER_NUMBER_PREFIX",
    "ORDER_NUMBER_RANDOM_BYTES",
    "REQUIRED_ADDRESS_FIELDS",
    "SESSION_CART_ID_KEY",
    "CartError",
    "CartLineChange",
    "CheckoutError",
    "InvalidOrderTransition",
    "cart_add_item",
    "cart_get_or_create",
    "cart_get_or_create_for_session",
    "cart_get_or_create_for_user",
    "cart_line_remove",
    "cart_line_set_quantity",
    "cart_merge",
    "cart_merge_on_login",
    "describe_variant",
    "forget_cart_badge",
    "line_limit_message",
    "max_line_quantity",
    "new_checkout_key",
    "order_cancel_by_customer",
    "order_change_status",
    "order_for_idempotency_key",
    "order_set_tracking_number",
    "place_order",
]

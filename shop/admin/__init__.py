"""Staff admin of the shop, one module per noun: `catalogue` (categories, products with their sizes,
gallery and size chart), `stock` (the stock list and its CSV import and export), `orders` (status
changes and the sales report), `payments` (card payments, refunds, Stripe's events), `shipping`
(shipping methods) and `vouchers`.

Django's admin autodiscovery imports this package; importing the modules registers their admins.
"""

from shop.admin import catalogue, orders, payments, shipping, stock, vouchers

__all__ = ["catalogue", "orders", "payments", "shipping", "stock", "vouchers"]

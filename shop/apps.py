from django.apps import AppConfig


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        # What the shop adds to the apps below it (their extension points).
        from live.extensions import room_tick_events
        from shop.reconcile import order_checks
        from shop.services import money, orders
        from shop.services.flash import flash_sale_room_tick_async
        from wallet.extensions import PaymentPurpose, payment_purposes, reconcile_checks

        # The pinned flash sale's units left, on the live room's tick.
        room_tick_events.add(flash_sale_room_tick_async, app=self.name, key="flash_sale")

        payment_purposes.add(
            PaymentPurpose(
                name=money.ORDER_PURPOSE,
                succeeded=orders.order_payment_succeeded,
                failed=orders.order_payment_failed,
            ),
            app=self.name,
            key=f"{self.name}.{money.ORDER_PURPOSE}",
        )
        reconcile_checks.add(order_checks, app=self.name)

        # Its pages in the community's (with the shop out of INSTALLED_APPS
        # none of it counts: core.extensions).
        from community import extensions as community
        from shop.views import discover_strip

        community.discover_strips.add(discover_strip, app=self.name, key="shop", order=50)
        community.top_nav.add(
            community.MenuItem("Shop", "shop_browse", current=("shop_browse", "shop", "product")),
            app=self.name,
            key="shop_nav",
        )
        community.account_menu.add(
            community.MenuItem(
                "My shop",
                "my_shop",
                icon="shop/icons/store.svg",
                current=("seller_products", "product_new", "product_edit"),
            ),
            app=self.name,
            key="shop_mine",
            order=40,
        )
        community.account_menu.add(
            community.MenuItem(
                "Orders", "orders", icon="shop/icons/package.svg", current=("orders", "order")
            ),
            app=self.name,
            key="shop_orders",
            order=41,
        )
        community.account_menu.add(
            community.MenuItem(
                "Cart", "cart", icon="shop/icons/cart.svg", current=("cart", "checkout")
            ),
            app=self.name,
            key="shop_cart",
            order=42,
        )

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

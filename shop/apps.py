from django.apps import AppConfig


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        # What the shop adds to the wallet below it (wallet.extensions).
        from shop.reconcile import order_checks
        from shop.services import money, orders
        from wallet.extensions import PaymentPurpose, payment_purposes, reconcile_checks

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

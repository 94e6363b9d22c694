from django.apps import AppConfig


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        # What the shop adds to the apps below it (their extension points).
        from community import extensions as community
        from live import extensions as live
        from shop import panels, selectors

        # Products in notes: the API's `products`, the cards under the photos.
        community.note_payload_extras.add(
            community.NotePayloadExtra("products", selectors.note_product_cards, default=list),
            app=self.name,
            key="shop_products",
        )
        community.note_sections.add(panels.note_products_section, app=self.name)
        community.note_form_sections.add(panels.note_product_picker, app=self.name)
        # Products in live rooms: the room's `pinned_product`, the pin in a
        # joining viewer's snapshot, the card over the video and the host's control.
        live.room_payload_extras.add(
            live.RoomPayloadExtra("pinned_product", selectors.room_pinned_products),
            app=self.name,
            key="shop_pinned_product",
        )
        live.room_join_events.add(panels.room_join_pin, app=self.name, key="shop_pin")
        live.room_panels.add(panels.room_pin_card, app=self.name, key="shop_pin_card")
        live.room_panels.add(panels.room_pin_control, app=self.name, key="shop_pin_control")
        # What the shop adds to the wallet below it (wallet.extensions).
        from shop.reconcile import order_checks
        from shop.services import money, orders
        from shop.services.flash import flash_sale_room_tick_async
        from wallet.extensions import PaymentPurpose, payment_purposes, reconcile_checks

        # The pinned flash sale's units left, on the live room's tick.
        live.room_tick_events.add(flash_sale_room_tick_async, app=self.name, key="flash_sale")

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

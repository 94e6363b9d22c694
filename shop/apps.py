from typing import Any

from django.apps import AppConfig
from django.core.management.base import CommandParser


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        # What the shop adds to the apps below it (their extension points).
        from community import extensions as community
        from kol import extensions as kol
        from live import extensions as live
        from shop import panels, selectors, studio

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
        # A replay's timeline plays the pins back in sync with the video.
        live.timeline_sources.add(selectors.session_pins_timeline, app=self.name, key="shop_pins")
        # Pins that no longer hold: a pin made before the broadcast joins it
        # when it starts; a pinned product's "sold out" on the room's tick;
        # a deleted product leaves the rooms (hiding and closing call the
        # pin services themselves).
        from django.db.models.signals import pre_delete

        from shop.models import Product
        from shop.services import pins

        live.session_started.add(pins.room_pins_session_attach, app=self.name, key="shop_pins")
        live.room_tick_events.add(pins.pin_stock_room_tick_async, app=self.name, key="pin_stock")
        pre_delete.connect(pins.product_deleting, sender=Product, dispatch_uid="shop_pins_retire")
        # The note cards that show products (community.card_cache carries
        # them): saves and deletes through the models, the admin's included;
        # the services forget what they change with UPDATE themselves.
        from django.db.models.signals import post_delete, post_save

        from shop.models import NoteProduct, ProductImage, Shop
        from shop.services import tags

        for model, forget in (
            (Product, tags.product_saved),
            (ProductImage, tags.product_image_saved),
            (NoteProduct, tags.note_product_saved),
            (Shop, tags.shop_saved),
        ):
            for signal in (post_save, post_delete):
                signal.connect(forget, sender=model, dispatch_uid=f"shop-card-{model.__name__}")
        live.room_panels.add(panels.room_pin_card, app=self.name, key="shop_pin_card")
        live.room_panels.add(panels.room_pin_control, app=self.name, key="shop_pin_control")
        live.replay_panels.add(panels.replay_pin_card, app=self.name, key="shop_pin_card")
        # What the shop adds to the wallet below it (wallet.extensions).
        from shop.reconcile import order_checks
        from shop.selectors.attribution import session_report_cash
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
        # The flash sale's gate answers on /metrics (core.metrics).
        from core.metrics import recorded_metrics
        from shop import metrics

        recorded_metrics.add(metrics.ALL, app=self.name)
        # Attribution: cash beside traffic in the session report and the studio.
        live.session_report_sections.add(session_report_cash, app=self.name, key="shop", order=20)
        live.session_report_templates.add(
            "shop/partials/session_report_sales.html", app=self.name, key="shop"
        )
        kol.studio_note_columns.add(studio.note_columns, app=self.name, key="shop")
        # The pool's daily stats: the `sales` column (the creators' notes and sessions).
        kol.stat_providers.add(selectors.creator_daily_sales_stat, app=self.name, key="shop_sales")
        kol.studio_sections.add(studio.studio_section, app=self.name, key="shop")
        # seed_demo: shops, products in notes and past sessions, orders.
        community.demo_parts.add(
            community.DemoPart("shop", _seed_demo, _demo_arguments), app=self.name, order=40
        )

        # Its pages in the community's (with the shop out of INSTALLED_APPS
        # none of it counts: core.extensions).
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


# The demo module is large: imported when seed_demo runs, not at every start.
def _seed_demo(**kwargs: Any) -> None:
    from shop import demo

    demo.seed_demo(**kwargs)


def _demo_arguments(parser: CommandParser) -> None:
    from shop import demo

    demo.add_arguments(parser)

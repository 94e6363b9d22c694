from django.apps import AppConfig


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        # What the shop adds to the apps below it (their extensions): with the
        # shop out of INSTALLED_APPS none of it counts (core.extensions).
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

from django.apps import AppConfig


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        # What the shop adds to the apps below it (their extension points).
        from kol import extensions as kol
        from live import extensions as live
        from shop import studio
        from shop.selectors.attribution import session_report_cash

        # Attribution: cash beside traffic in the session report and the studio.
        live.session_report_sections.add(session_report_cash, app=self.name, key="shop", order=20)
        live.session_report_templates.add(
            "shop/partials/session_report_sales.html", app=self.name, key="shop"
        )
        kol.studio_note_columns.add(studio.note_columns, app=self.name, key="shop")
        kol.studio_sections.add(studio.studio_section, app=self.name, key="shop")

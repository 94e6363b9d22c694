from django.apps import AppConfig


class LiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "live"
    verbose_name = "Live rooms"

    def ready(self) -> None:
        # The community app cannot import this one: "Live now" on discover
        # goes through its extension point.
        from community.extensions import register_discover_strip
        from live.views import live_now_strip

        register_discover_strip("live_now", live_now_strip)

        # The session report's gift takings are live's own section of its
        # report (the shop adds its sales beside them).
        from live.extensions import session_report_sections
        from live.selectors import session_cash

        session_report_sections.add(session_cash, app=self.name, key="gifts", order=10)

"""The project's own app configurations."""

from django.contrib.admin.apps import AdminConfig


class SproutAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the project's site as ``admin.site``
    (``community.admin_site``: log-in attempt limits)."""

    default_site = "community.admin_site.SproutAdminSite"

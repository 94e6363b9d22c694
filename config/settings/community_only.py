"""The test settings with only the kernel and the notes community installed:
a plain notes site. ``make test`` runs community's (and the kernel's) tests
under it, which proves that dependencies point one way at run time, not only
in imports: nothing below an app needs it to be there. The same mechanism
lets the shop be switched off."""

from .test import *  # noqa: F403
from .test import CELERY_BEAT_SCHEDULE, INSTALLED_APPS

UPPER_APPS = ("wallet", "kol", "live", "shop")
INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in UPPER_APPS]

# Nothing of the upper apps' to import or schedule.
CELERY_BEAT_SCHEDULE = {
    name: entry
    for name, entry in CELERY_BEAT_SCHEDULE.items()
    if str(entry["task"]).split(".", 1)[0] not in UPPER_APPS
}

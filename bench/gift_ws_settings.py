"""The websocket server of ``bench/gifts.py --websocket``: ``bench.live_settings``
(production behaviour, Redis) plus the live room's gift batcher settings
(``live.gift_batcher.GiftBatcher.from_settings``) from the environment when set, so
that a run can try other windows, batch sizes or thread counts."""

import os

from bench.live_settings import *  # noqa: F403

if "SPROUT_GIFT_BATCH_WINDOW_SECONDS" in os.environ:
    SPROUT_GIFT_BATCH_WINDOW_SECONDS = float(os.environ["SPROUT_GIFT_BATCH_WINDOW_SECONDS"])
if "SPROUT_GIFT_BATCH_MAX" in os.environ:
    SPROUT_GIFT_BATCH_MAX = int(os.environ["SPROUT_GIFT_BATCH_MAX"])
if "SPROUT_GIFT_BATCH_THREADS" in os.environ:
    SPROUT_GIFT_BATCH_THREADS = int(os.environ["SPROUT_GIFT_BATCH_THREADS"])

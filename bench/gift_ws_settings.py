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
# bench/gifts.py --one-hop / --stock-handler (the default is the site's).
if os.environ.get("BENCH_ASGI_ONE_HOP"):
    SPROUT_ASGI_HTTP_ONE_HOP = os.environ["BENCH_ASGI_ONE_HOP"] == "1"
if "SPROUT_GIFT_BATCH_THREADS" in os.environ:
    SPROUT_GIFT_BATCH_THREADS = int(os.environ["SPROUT_GIFT_BATCH_THREADS"])

if os.environ.get("BENCH_GIFT_PROFILE"):
    # ``bench/gifts.py --http --profile FILE``: cProfile in the worker, on
    # from SIGUSR1 to SIGUSR2 (the measured window only, not the start-up),
    # then written to FILE. Python 3.12's cProfile (sys.monitoring) sees
    # every thread: the loop's, the request threads', the batches'.
    import cProfile
    import signal

    _profile = cProfile.Profile()

    def _profile_start(*_: object) -> None:
        _profile.enable()

    def _profile_dump(*_: object) -> None:
        _profile.disable()
        _profile.dump_stats(os.environ["BENCH_GIFT_PROFILE"])

    signal.signal(signal.SIGUSR1, _profile_start)
    signal.signal(signal.SIGUSR2, _profile_dump)

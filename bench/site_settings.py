"""Settings of the benchmark server: the project's settings with the benchmark URLconf.

`REVETIR_BENCH_CHANNEL_LAYER=pubsub` (set by `ws_bench.py --layer pubsub`) swaps the channels_redis
layer for its Redis Pub/Sub variant, to compare the two under the same load; by default the
project's own channel layer is measured.
"""

import os

from revetir.settings import *  # noqa: F403 (the same settings, overridden below)
from revetir.settings import REDIS_URL

ROOT_URLCONF = "bench.site_urls"

if os.environ.get("REVETIR_BENCH_CHANNEL_LAYER") == "pubsub":
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }

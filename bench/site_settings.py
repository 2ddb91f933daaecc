"""Settings of the benchmark server: the project's settings with the benchmark URLconf."""

from revetir.settings import *  # noqa: F403 (the same settings, one override)

ROOT_URLCONF = "bench.site_urls"

"""Try-on websocket fan-out on one Daphne process: 1,000 signed-in shoppers, one message each.

    .venv/bin/python bench/ws_bench.py [--clients 1000] [--rates 100,200,500,1000] [--layer core|pubsub]
                                       [--redis-url redis://127.0.0.1:6379/14]

Needs Redis (the in-memory channel layer cannot take messages from another process): the server
and this script share the channels_redis layer at --redis-url (default: $REVETIR_BENCH_REDIS_URL,
else redis://127.0.0.1:6379/14). Use a database number nobody else uses, one run at a time.

Builds a temporary site (fresh SQLite database, DEBUG off), creates --clients users with a signed-in
session each in bulk, starts one Daphne process on a free port of 127.0.0.1 and opens one
websocket per user at /ws/tryon/ (session cookie, Origin of an allowed host). A client counts as
connected once the consumer has sent it the on-connect `tryon.state` message. This process then
publishes `tryon.progress` messages to each user's group `tryon.user.<id>` through the channel
layer, exactly as a try-on worker does, and times publish-to-receive on the same clock.

Baseline, same run: one connected client, messages one at a time. Load: for each of --rates, one
message to every client's group, published at that many messages/s (a burst at 1000/s, spread out at
100/s), so the figures show where the server stops keeping up. Prints JSON: connections made and
failed, latency p50/p99/max in ms (and messages lost, CPU seconds of Daphne and of this process)
for the baseline and each rate. Goal: every client connects, p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import BenchSite, create_signed_in_users

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
CONNECT_CONCURRENCY = 50  # handshakes in flight at once, below the listen backlog of the server
CONNECT_TIMEOUT_S = 30
DELIVERY_TIMEOUT_S = 10
BASELINE_MESSAGES = 200
PUBLISHES_IN_FLIGHT = 16
IDLE_SECONDS = 10
FILE_DESCRIPTORS_PER_CLIENT = 2  # the client's socket here and the server's socket in Daphne
FILE_DESCRIPTOR_MARGIN = 512
P99_GOAL_MS = 100.0


def raise_file_descriptor_limit(clients: int) -> int:
    """Raise this process's open-file limit (inherited by Daphne) to what the run needs."""
    needed = clients * FILE_DESCRIPTORS_PER_CLIENT + FILE_DESCRIPTOR_MARGIN
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(
            f"{clients} clients need {needed} open files, but the hard limit is {hard}: "
            f"raise it (`ulimit -Hn {needed}` as root, or /etc/security/limits.conf) or pass fewer --clients."
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return needed


def check_redis(redis_url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(
            f"Redis at {redis_url} does not answer ({exc}). Start one (`apt-get install -y redis-server && "
            f"redis-server --daemonize yes`) or point --redis-url / REVETIR_BENCH_REDIS_URL at yours."
        ) from exc


class Client:
    """One shopper's socket; records when each bench message arrives."""

    def __init__(self, user_id: int, session_key: str) -> None:
        self.user_id = user_id
        self.session_key = session_key
        self.received: dict[int, float] = {}
        self.arrived = asyncio.Event()
        self.socket = None
        self.reader: asyncio.Task | None = None

    async def connect(self, port: int, limiter: asyncio.Semaphore) -> None:
        from websockets.asyncio.client import connect

        async with limiter:
            self.socket = await connect(
                f"ws://127.0.0.1:{port}/ws/tryon/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": f"sessionid={self.session_key}"},
                compression=None,
                proxy=None,
                open_timeout=CONNECT_TIMEOUT_S,
            )
            first = json.loads(await asyncio.wait_for(self.socket.recv(), CONNECT_TIMEOUT_S))
            if first.get("type") != "tryon.state":
                raise RuntimeError(f"first message was {first.get('type')!r}, not tryon.state")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.socket:
            arrived = time.perf_counter()
            message = json.loads(raw)
            if "bench_message" in message:
                self.received[message["bench_message"]] = arrived
                self.arrived.set()

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.socket is not None:
            await self.socket.close()


def percentiles(latencies_s: list[float]) -> dict:
    if not latencies_s:
        return {"messages": 0}
    ordered = sorted(latencies_s)
    at = lambda fraction: ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]  # noqa: E731
    return {
        "messages": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(at(0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


class Publisher:
    """Sends bench messages to users' groups through the channel layer, as the try-on worker does."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self.sent: dict[int, float] = {}
        self.next_number = 0
        # channels_redis' connection pool is bounded: sends beyond it wait here, and their clock
        # starts when they go out, as a worker's would.
        self.in_flight = asyncio.Semaphore(PUBLISHES_IN_FLIGHT)

    async def publish(self, user_id: int) -> int:
        number = self.next_number
        self.next_number += 1
        message = {
            "type": "tryon.progress",
            "job": number,
            "status": "running",
            "stage": "bench",
            "progress": 0.5,
            "bench_message": number,
        }
        async with self.in_flight:
            self.sent[number] = time.perf_counter()
            await self.layer.group_send(f"tryon.user.{user_id}", message)
        return number


async def measure_baseline(publisher: Publisher, client: Client) -> list[float]:
    latencies = []
    for _ in range(BASELINE_MESSAGES):
        client.arrived.clear()
        number = await publisher.publish(client.user_id)
        await asyncio.wait_for(client.arrived.wait(), DELIVERY_TIMEOUT_S)
        latencies.append(client.received[number] - publisher.sent[number])
    return latencies


class OverCapacityCounter(logging.Handler):
    """Counts group sends that channels_redis dropped because a receiving channel was full (it
    logs them at INFO and carries on; Daphne's consumers all share one channel per process)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "over capacity" in record.msg:
            self.dropped += record.args[0] if record.args else 1


OVER_CAPACITY = OverCapacityCounter()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure_fan_out(publisher: Publisher, clients: list[Client], *, rate: float, server_pid: int) -> dict:
    """One message to each client's group, paced at `rate` messages/s."""
    expected: dict[int, Client] = {}
    sends: list[asyncio.Task] = []
    server_cpu, own_cpu = cpu_seconds(server_pid), time.process_time()
    dropped_before = OVER_CAPACITY.dropped
    started = time.perf_counter()
    for index in range(len(clients)):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        client = clients[index % len(clients)]
        task = asyncio.create_task(publisher.publish(client.user_id))
        task.add_done_callback(lambda done, client=client: expected.__setitem__(done.result(), client))
        sends.append(task)
    await asyncio.gather(*sends)
    publish_seconds = time.perf_counter() - started
    deadline = time.perf_counter() + DELIVERY_TIMEOUT_S
    while time.perf_counter() < deadline and any(n not in c.received for n, c in expected.items()):
        await asyncio.sleep(0.05)
    latencies = [c.received[n] - publisher.sent[n] for n, c in expected.items() if n in c.received]
    return {
        **percentiles(latencies),
        "published": len(expected),
        "lost": len(expected) - len(latencies),
        "dropped_by_layer_over_capacity": OVER_CAPACITY.dropped - dropped_before,
        "publish_rate_per_s": round(len(expected) / publish_seconds, 1),
        "daphne_cpu_s": round(cpu_seconds(server_pid) - server_cpu, 2),
        "bench_cpu_s": round(time.process_time() - own_cpu, 2),
    }


async def forget_groups_of_earlier_runs(layer, user_ids: list[int]) -> None:
    """Every run numbers its users from 1, so an interrupted earlier run (whose consumers never
    left their groups) would leave dead channels in these groups; drop those groups first."""
    groups = [layer._group_key(f"tryon.user.{user_id}") for user_id in user_ids]  # channels_redis' own key
    connection = layer.connection(0)
    await connection.delete(*groups)


async def run(port: int, server_pid: int, users: list[tuple[int, str]], *, layer_kind: str, rates: list[float]) -> dict:
    from channels.layers import get_channel_layer

    # The server's own layer settings (hosts, capacity), so the publisher checks the same limits.
    layer = get_channel_layer()
    if layer_kind == "core":
        await forget_groups_of_earlier_runs(layer, [user_id for user_id, _key in users])
    publisher = Publisher(layer)
    clients = [Client(user_id, session_key) for user_id, session_key in users]
    limiter = asyncio.Semaphore(CONNECT_CONCURRENCY)

    await clients[0].connect(port, limiter)
    baseline = percentiles(await measure_baseline(publisher, clients[0]))

    connect_started = time.perf_counter()
    outcomes = await asyncio.gather(*(client.connect(port, limiter) for client in clients[1:]), return_exceptions=True)
    connect_seconds = time.perf_counter() - connect_started
    failures = Counter(f"{type(outcome).__name__}: {outcome}"[:160] for outcome in outcomes if outcome is not None)
    connected = [clients[0]] + [
        client for client, outcome in zip(clients[1:], outcomes, strict=True) if outcome is None
    ]

    idle_cpu = cpu_seconds(server_pid)
    await asyncio.sleep(IDLE_SECONDS)
    idle_cpu = cpu_seconds(server_pid) - idle_cpu
    fan_out = {}
    for rate in rates:
        fan_out[f"{rate:g}_per_s"] = await measure_fan_out(publisher, connected, rate=rate, server_pid=server_pid)
    await asyncio.gather(*(client.close() for client in connected), return_exceptions=True)
    await (layer.flush() if layer_kind == "pubsub" else layer.close_pools())
    return {
        "clients": len(clients),
        "connected": len(connected),
        "connect_failures": dict(failures),
        "connect_seconds": round(connect_seconds, 2),
        "baseline_one_client": baseline,
        # What the open sockets cost Daphne with nothing published (keep-alive pings, periodic checks).
        "daphne_cpu_share_idle": round(idle_cpu / IDLE_SECONDS, 3),
        "fan_out": fan_out,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--rates", default="100,200,500,1000", help="publish rates to measure, messages/s, comma-separated"
    )
    parser.add_argument("--redis-url", default=os.environ.get("REVETIR_BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument(
        "--layer",
        choices=("core", "pubsub"),
        default="core",
        help="core: the project's channels_redis layer; pubsub: its Redis Pub/Sub variant, for comparison",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary site folder for inspection")
    args = parser.parse_args()

    rates = [float(rate) for rate in args.rates.split(",")]
    layer_logger = logging.getLogger("channels_redis.core")
    layer_logger.addHandler(OVER_CAPACITY)
    layer_logger.setLevel(logging.INFO)
    layer_logger.propagate = False
    check_redis(args.redis_url)
    open_files = raise_file_descriptor_limit(args.clients)
    os.environ["REVETIR_BENCH_CHANNEL_LAYER"] = args.layer
    with BenchSite(redis_url=args.redis_url, keep=args.keep) as site:
        users = create_signed_in_users(args.clients)
        with site.serve() as server:
            result = asyncio.run(run(server.port, server.process.pid, users, layer_kind=args.layer, rates=rates))

    all_connected = result["connected"] == args.clients
    report = {
        "benchmark": "websocket",
        "server": "one Daphne process, DEBUG off, SQLite",
        "channel_layer": "channels_redis "
        + ("RedisPubSubChannelLayer" if args.layer == "pubsub" else "RedisChannelLayer"),
        **result,
        "open_files_limit": open_files,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "goal": f"all connect, p99 < {P99_GOAL_MS:g} ms",
        "goal_met_at_rates_per_s": [
            rate
            for rate, figures in zip(rates, result["fan_out"].values(), strict=True)
            if all_connected and figures.get("lost") == 0 and figures.get("p99_ms", float("inf")) < P99_GOAL_MS
        ],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

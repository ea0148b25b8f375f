"""make bench-authorise: AuthoriseSend over real gRPC, against no-op floors and a PostgreSQL
SELECT ... FOR UPDATE baseline served the same way. Starts its own redis-server and PostgreSQL.

The floors are trivial unary RPCs added to the wallet's own server only when it is started for
benchmarking (`--serve-wallet`; production's `python -m services.wallet` never serves them): the
same thread pool, the same interceptor (span, metrics, error mapping) and the same process as
AuthoriseSend. `Noop` answers at once; `RedisNoop` runs one trivial EVALSHA on the serving
thread's own Redis connection, as the send path does: the cost of one Redis round trip from a
handler, measured by one caller and by the same 64 callers as the concurrent phase. The stock
health Check is measured too, but the interceptor lets health calls through untouched, so it is a
lower floor than any service RPC can reach.

The floors and AuthoriseSend are measured in the same windows: ROUNDS rounds, each phase one block
of its calls per round, the order reversed every other round (AB, BA, AB...), so the machine's
drift (Redis round trips switch between fast and slow modes as the load moves) falls on each
alike. The one-caller phases take turns with one another, the 64-caller floor with 64-caller
AuthoriseSend; the 64 callers are the same threads in every block, each making the same number
of calls per block, so each block's ops/s is taken over full waves. Each ratio is the median
of the per-round ratios, printed with its range over the rounds and the ratio of the pooled
figures (each phase's p50 and ops/s over all its rounds).

The service-credential check is measured in the same run: the wallet is served a second time
with the check taken out of its interceptor (a benchmark-only switch: `--serve-wallet-open`),
and the same client (which presents its token either way) calls both.

Prints p50/p99/p99.9 (µs) and ops/s per phase, the servers' own decision times, the ratios,
and writes bench/results/authorise.json (AUTHORISE_RESULTS names another file). The send path
is also measured with telemetry off (OTEL_SDK_DISABLED) and with every request's trace recorded,
to show what telemetry costs. AUTHORISE_PHASES picks phases (wallet, check, baseline, telemetry;
all by default): bench/compare.sh runs `wallet` alone, the send path beside its floors.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from billing.common.v1 import category_pb2, money_pb2
from billing.wallet.v1 import (
    account_pb2,
    authorise_pb2,
    wallet_service_pb2,
    wallet_service_pb2_grpc,
)
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common import service_auth
from services.common.grpc_server import App, ServiceBinding
from tests.harness import credentials as harness

RESULTS = Path(__file__).parent / "results" / "authorise.json"
DEADLINE_S = 10
SEQUENTIAL_CALLS = 3_000
CONCURRENT_CALLS = 6_000
CONCURRENT_CALLERS = 64
ROUNDS = 10  # alternating blocks the floors and AuthoriseSend are measured in
# Each of the 64 callers' calls per round of the 64-caller phases (576 calls a round).
ROUND_CALLS_PER_CALLER = 9
BATCH_SIZE = 100
BATCHES = 200
BATCH_CALLERS = 4
WARMUP_CALLS = 300
CHECK_ROUNDS = 10
CHECK_ROUND_CALLS = 300
RECIPIENT = "+12125550100"
FLOOR_SERVICE = "billing.bench.v1.Floor"
FLOOR_METHOD = f"/{FLOOR_SERVICE}/Noop"
REDIS_FLOOR_METHOD = f"/{FLOOR_SERVICE}/RedisNoop"
REDIS_FLOOR_SCRIPT = "return 1"
REDIS_FLOOR_KEY = "bench:floor"
PHASES = ("wallet", "check", "baseline", "telemetry")


def percentile(sorted_us: list[float], fraction: float) -> float:
    return sorted_us[min(len(sorted_us) - 1, int(fraction * len(sorted_us)))]


def summary(latencies_us: list[float], operations: int, wall_s: float) -> dict[str, float]:
    ordered = sorted(latencies_us)
    return {
        "p50_us": round(percentile(ordered, 0.50), 1),
        "p99_us": round(percentile(ordered, 0.99), 1),
        "p999_us": round(percentile(ordered, 0.999), 1),
        "ops_per_s": round(operations / wall_s, 1),
    }


def run_calls(call: Callable[[int], object], count: int, callers: int) -> tuple[list[float], float]:
    """`count` calls over `callers` threads; per-call latency (µs) and the wall time."""
    latencies: list[float] = [0.0] * count

    def timed(n: int) -> None:
        started = time.perf_counter()
        call(n)
        latencies[n] = (time.perf_counter() - started) * 1e6

    started = time.perf_counter()
    if callers == 1:
        for n in range(count):
            timed(n)
    else:
        with ThreadPoolExecutor(max_workers=callers) as pool:
            list(pool.map(timed, range(count)))
    return latencies, time.perf_counter() - started


class Server:
    """A service process whose decision timings are dumped to a file on SIGUSR1."""

    def __init__(self, process: Any, timings_path: Path) -> None:
        self.process = process
        self.timings_path = timings_path

    def decision_times(self, method: str) -> dict[str, float]:
        self.timings_path.unlink(missing_ok=True)
        os.kill(self.process.process.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while not self.timings_path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the server wrote no decision timings")
            time.sleep(0.02)
        samples = sorted(json.loads(self.timings_path.read_text()).get(method, []))
        if not samples:
            return {}
        return {
            "server_decision_p50_us": round(percentile(samples, 0.50), 1),
            "server_decision_p99_us": round(percentile(samples, 0.99), 1),
        }


def send_request(account: str, message_id: str) -> authorise_pb2.AuthoriseSendRequest:
    return authorise_pb2.AuthoriseSendRequest(
        account_id=account,
        channel_id="chan-1",
        recipient=RECIPIENT,
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        message_id=message_id,
    )


def setup_account(stub: wallet_service_pb2_grpc.WalletServiceStub, account: str) -> None:
    stub.CreateAccount(
        wallet_service_pb2.CreateAccountRequest(
            profile=account_pb2.AccountProfile(account_id=account, currency_code="USD")
        ),
        timeout=DEADLINE_S,
    )
    stub.TopUp(
        wallet_service_pb2.TopUpRequest(
            account_id=account,
            amount=money_pb2.Money(currency_code="USD", amount_micros=10**14),
            idempotency_key="bench",
        ),
        timeout=DEADLINE_S,
    )


def send_call(
    stub: wallet_service_pb2_grpc.WalletServiceStub, account: str
) -> Callable[[int], object]:
    """AuthoriseSend of message n: each n a new message, so no call is an idempotent replay."""
    run = uuid.uuid4().hex[:8]

    def call(n: int) -> None:
        answer = stub.AuthoriseSend(send_request(account, f"{run}-{n}"), timeout=DEADLINE_S)
        if answer.decision != authorise_pb2.DECISION_ALLOWED:
            raise RuntimeError(f"benchmark send refused: {answer.message}")

    return call


def measure_send(
    stub: wallet_service_pb2_grpc.WalletServiceStub, account: str, count: int, callers: int
) -> dict[str, float]:
    latencies, wall_s = run_calls(send_call(stub, account), count, callers)
    return summary(latencies, count, wall_s)


def numbered_from(call: Callable[[int], object], first: int) -> Callable[[int], object]:
    return lambda n: call(first + n)


class Callers:
    """`size` caller threads kept for a whole measurement. In each block every caller makes the
    same number of calls, all starting together once every caller is ready, and the block's wall
    time runs from that start to its last call's end: no block pays for starting threads or ends
    on a part-empty wave of calls."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pool = ThreadPoolExecutor(max_workers=size)

    def __enter__(self) -> Callers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._pool.shutdown()

    def run(self, call: Callable[[int], object], count: int) -> tuple[list[float], float]:
        """`count` calls (a multiple of the callers), caller k making calls k*each to
        (k+1)*each - 1; per-call latency (µs) and the wall time."""
        each, rest = divmod(count, self.size)
        if rest:
            raise ValueError(f"{count} calls do not split evenly over {self.size} callers")
        latencies: list[float] = [0.0] * count
        started = [0.0] * self.size
        ended = [0.0] * self.size
        ready = threading.Barrier(self.size)

        def caller(k: int) -> None:
            ready.wait(timeout=DEADLINE_S)
            started[k] = time.perf_counter()
            for n in range(k * each, (k + 1) * each):
                begun = time.perf_counter()
                call(n)
                latencies[n] = (time.perf_counter() - begun) * 1e6
            ended[k] = time.perf_counter()

        for done in [self._pool.submit(caller, k) for k in range(self.size)]:
            done.result()
        return latencies, max(ended) - min(started)


def alternating(
    calls: dict[str, Callable[[int], object]], block: int, callers: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[dict[str, float]]]]:
    """Each phase's calls in ROUNDS blocks of `block`, the phases taking turns within a round,
    in order in even rounds and in reverse in odd ones; with several callers, the same callers
    make every block (see `Callers`). Each phase's summary over all its rounds, and its summary
    per round."""
    latencies: dict[str, list[float]] = {name: [] for name in calls}
    walls = dict.fromkeys(calls, 0.0)
    per_round: dict[str, list[dict[str, float]]] = {name: [] for name in calls}
    with Callers(callers) as pool:
        for number in range(ROUNDS):
            order = list(calls) if number % 2 == 0 else list(reversed(calls))
            for name in order:
                numbered = numbered_from(calls[name], number * block)
                if callers == 1:
                    taken, wall_s = run_calls(numbered, block, 1)
                else:
                    taken, wall_s = pool.run(numbered, block)
                latencies[name] += taken
                walls[name] += wall_s
                per_round[name].append(summary(taken, block, wall_s))
    pooled = {name: summary(latencies[name], len(latencies[name]), walls[name]) for name in calls}
    return pooled, per_round


@dataclass(frozen=True)
class SameWindowRatio:
    """A ratio of two phases measured in alternating rounds, taken per round."""

    key: str  # its entry in the results
    name: str  # as printed (and as bench/compare.py names it)
    top: str
    bottom: str
    figure: str
    target: str


SAME_WINDOW_RATIOS = (
    SameWindowRatio(
        "ratio_authorise_to_noop_redis_p50",
        "AuthoriseSend p50 / Redis floor p50",
        "authorise",
        "noop_redis",
        "p50_us",
        "<= 1.10",
    ),
    SameWindowRatio(
        "ratio_authorise_concurrent_to_noop_redis_concurrent_ops",
        f"AuthoriseSend ops/s / Redis floor ops/s, {CONCURRENT_CALLERS} callers",
        "authorise_concurrent",
        "noop_redis_concurrent",
        "ops_per_s",
        ">= 0.80",
    ),
    SameWindowRatio(
        "ratio_authorise_to_noop_p50",
        "AuthoriseSend p50 / no-op p50",
        "authorise",
        "noop",
        "p50_us",
        "",
    ),
    SameWindowRatio(
        "ratio_authorise_to_noop_health_p50",
        "AuthoriseSend p50 / health Check p50 (no interceptor)",
        "authorise",
        "noop_health",
        "p50_us",
        "",
    ),
)


def same_window_ratios(
    pooled: dict[str, dict[str, float]], per_round: dict[str, list[dict[str, float]]]
) -> dict[str, dict[str, float]]:
    """Per ratio: the median of its per-round values, their range, and the pooled figures'."""
    ratios = {}
    for r in SAME_WINDOW_RATIOS:
        tops, bottoms = per_round[r.top], per_round[r.bottom]
        each = [t[r.figure] / b[r.figure] for t, b in zip(tops, bottoms, strict=True)]
        ratios[r.key] = {
            "median": round(statistics.median(each), 3),
            "min": round(min(each), 3),
            "max": round(max(each), 3),
            "pooled": round(pooled[r.top][r.figure] / pooled[r.bottom][r.figure], 3),
            "rounds": len(each),
        }
    return ratios


def measure_batch(
    stub: wallet_service_pb2_grpc.WalletServiceStub, account: str
) -> dict[str, float]:
    run = uuid.uuid4().hex[:8]

    def call(n: int) -> None:
        request = authorise_pb2.AuthoriseBatchRequest(
            account_id=account,
            channel_id="chan-1",
            category=category_pb2.CATEGORY_MARKETING,
            is_template=True,
            mode=authorise_pb2.BATCH_MODE_ALL_OR_NOTHING,
            recipients=[
                authorise_pb2.BatchRecipient(recipient=RECIPIENT, message_id=f"{run}-{n}-{i}")
                for i in range(BATCH_SIZE)
            ],
        )
        answer = stub.AuthoriseBatch(request, timeout=DEADLINE_S)
        if answer.allowed_count != BATCH_SIZE:
            raise RuntimeError(f"benchmark batch refused: {answer.message}")

    latencies, wall_s = run_calls(call, BATCHES, BATCH_CALLERS)
    return summary(latencies, BATCHES * BATCH_SIZE, wall_s)


def health_call(channel: grpc.Channel) -> Callable[[int], object]:
    health = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service="")
    return lambda _n: health.Check(request, timeout=DEADLINE_S)


def floor_call(channel: grpc.Channel, method: str = FLOOR_METHOD) -> Callable[[int], object]:
    noop = channel.unary_unary(
        method,
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    request = health_pb2.HealthCheckRequest(service="")
    return lambda _n: noop(request, timeout=DEADLINE_S)


def redis_round_trip(redis_url: str) -> Callable[[], object]:
    """One trivial EVALSHA on the calling thread's own connection, the way the send path runs
    its script (a fall-back to the shared client included)."""
    from services.common.redis_client import connect
    from services.wallet.adapters.thread_connections import ThreadConnections

    client = connect(redis_url)
    sha = client.script_load(REDIS_FLOOR_SCRIPT)
    connections = ThreadConnections(client)
    keys = (REDIS_FLOOR_KEY,)

    def fall_back(keys: Any, args: Any) -> Any:
        return client.eval(REDIS_FLOOR_SCRIPT, len(keys), *keys, *args)

    def evalsha() -> object:
        answer = connections.evalsha(sha, keys, (), fall_back)
        if answer != 1:
            raise RuntimeError(f"the floor script answered {answer!r}")
        return answer

    return evalsha


def floor_binding(redis_url: str) -> ServiceBinding:
    """Unary RPCs served through the interceptor like any service RPC: one does nothing, the
    other one Redis round trip."""
    serving = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
    round_trip = redis_round_trip(redis_url)

    def noop(_request: object, _context: grpc.ServicerContext) -> health_pb2.HealthCheckResponse:
        return serving

    def redis_noop(
        _request: object, _context: grpc.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        round_trip()
        return serving

    def unary(behaviour: Callable[..., health_pb2.HealthCheckResponse]) -> Any:
        return grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=health_pb2.HealthCheckRequest.FromString,
            response_serializer=health_pb2.HealthCheckResponse.SerializeToString,
        )

    handler = grpc.method_handlers_generic_handler(
        FLOOR_SERVICE, {"Noop": unary(noop), "RedisNoop": unary(redis_noop)}
    )
    messaging = service_auth.allow(service_auth.MESSAGING)
    return ServiceBinding(
        FLOOR_SERVICE,
        lambda server: server.add_generic_rpc_handlers((handler,)),
        {"Noop": messaging, "RedisNoop": messaging},
    )


def serve_wallet(open_ports: bool = False) -> None:
    """The wallet exactly as `python -m services.wallet` builds it, plus the floor RPC; with
    open_ports, its credential check is taken out (to measure what the check costs)."""
    from services.common.config import redis_url
    from services.common.grpc_server import run
    from services.wallet.__main__ import DEFAULT_PORT
    from services.wallet.bootstrap import build

    if open_ports:

        def unchecked(_self: Any, continuation: Any, details: Any) -> Any:
            return continuation(details)

        service_auth.ServiceAuthInterceptor.intercept_service = unchecked  # type: ignore[method-assign]

    def with_floor(env: Any) -> App:
        app = build(env)
        floors = floor_binding(redis_url(env))
        return App([*app.bindings, floors], app.workers, app.on_close)

    run("wallet", DEFAULT_PORT, with_floor)


def start(name: str, env: dict[str, str], logs: Path, mode: str = "--serve-wallet") -> Server:
    from tests.harness.services import ServiceProcess

    timings = logs / f"{name}-timings.json"
    environment = {**env, "WALLET_TIMINGS_PATH": str(timings)}
    process = ServiceProcess(name, environment, logs, module="bench.authorise", arguments=(mode,))
    process.start()
    return Server(process, timings)


# As in production: the serving process runs the loops that only touch Redis or poll lightly;
# the projector and the loops that follow it (alerts, recharges, credit expiry) run apart, in
# python -m services.wallet.loops. On this 2-core machine both share the cores with Redis,
# PostgreSQL and the benchmark's own client.
SERVING_LOOPS = "recovery,outbox,accounts,expiry,top-ups,windows,charges"
APART_LOOPS = "projector,recharges,recharge-outcomes,credits,funding,notices"


# What telemetry costs the send path, in the same run: the default (a tracer provider, ids on
# every request and log line, Redis/SQL/gRPC instrumented, nothing sampled without an exporter)
# against none at all (OTEL_SDK_DISABLED, the API's no-op) and against every request recorded.
# Each mode is served the same way (no projector beside it), one after the other.
TELEMETRY_MODES = {
    "telemetry_off": {"OTEL_SDK_DISABLED": "true"},
    "telemetry_on": {},
    "sampled": {"OTEL_TRACES_SAMPLER": "always_on"},
}


def bench_telemetry(env: dict[str, str], logs: Path) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for mode, settings in TELEMETRY_MODES.items():
        folder = logs / mode
        folder.mkdir()
        server = start("wallet", {**env, **settings, "WALLET_LOOPS": SERVING_LOOPS}, folder)
        try:
            address = server.process.address
            with (
                harness.trusted_channel(address) as setup,
                harness.channel(address, service_auth.MESSAGING) as channel,
            ):
                stub = wallet_service_pb2_grpc.WalletServiceStub(channel)
                account = f"bench-{uuid.uuid4().hex[:8]}"
                setup_account(wallet_service_pb2_grpc.WalletServiceStub(setup), account)
                measure_send(stub, account, WARMUP_CALLS, 1)
                server.decision_times("AuthoriseSend")
                results[f"authorise_{mode}"] = measure_send(stub, account, SEQUENTIAL_CALLS, 1)
                results[f"authorise_{mode}"].update(server.decision_times("AuthoriseSend"))
                many = measure_send(stub, account, CONCURRENT_CALLS, CONCURRENT_CALLERS)
                results[f"authorise_concurrent_{mode}"] = many
                results[f"authorise_batch_{mode}"] = measure_batch(stub, account)
        finally:
            server.process.terminate()
    return results


def bench_wallet(env: dict[str, str], logs: Path) -> dict[str, dict[str, float]]:
    """The serving process runs the light loops; the projector and its followers run apart.
    The floors and AuthoriseSend take turns in alternating rounds (see `alternating`)."""
    projector = subprocess.Popen(
        [sys.executable, "-m", "services.wallet.loops"],
        cwd=Path(__file__).resolve().parents[1],
        env={
            **os.environ,
            **harness.credentials().env("wallet"),
            **env,
            "WALLET_LOOPS": APART_LOOPS,
            "WALLET_LOOPS_PORT": "0",
        },
        stdout=subprocess.DEVNULL,
        stderr=(logs / "projector.log").open("ab"),
    )
    server = start("wallet", {**env, "WALLET_LOOPS": SERVING_LOOPS}, logs / "serve-wallet")
    results: dict[str, dict[str, float]] = {}
    address = server.process.address
    try:
        with (
            harness.trusted_channel(address) as setup,
            harness.channel(address, service_auth.MESSAGING) as channel,
        ):
            stub = wallet_service_pb2_grpc.WalletServiceStub(channel)
            account = f"bench-{uuid.uuid4().hex[:8]}"
            setup_account(wallet_service_pb2_grpc.WalletServiceStub(setup), account)
            redis_floor = floor_call(channel, REDIS_FLOOR_METHOD)
            floors = {
                "noop_health": health_call(channel),
                "noop": floor_call(channel),
                "noop_redis": redis_floor,
            }
            for call in (*floors.values(), send_call(stub, account)):
                run_calls(call, WARMUP_CALLS, 1)
            server.decision_times("AuthoriseSend")
            one_caller = {**floors, "authorise": send_call(stub, account)}
            sequential, per_round = alternating(one_caller, SEQUENTIAL_CALLS // ROUNDS, 1)
            sequential["authorise"].update(server.decision_times("AuthoriseSend"))
            many = {
                "noop_redis_concurrent": redis_floor,
                "authorise_concurrent": send_call(stub, account),
            }
            concurrent, concurrent_rounds = alternating(
                many, CONCURRENT_CALLERS * ROUND_CALLS_PER_CALLER, CONCURRENT_CALLERS
            )
            concurrent["authorise_concurrent"].update(server.decision_times("AuthoriseSend"))
            results.update(sequential)
            results.update(concurrent)
            results.update(same_window_ratios(results, {**per_round, **concurrent_rounds}))
            results["authorise_batch"] = measure_batch(stub, account)
            results["authorise_batch"].update(server.decision_times("AuthoriseBatch"))
    finally:
        server.process.terminate()
        projector.terminate()
        projector.wait(timeout=30)
    return results


def bench_credential_check(
    checked_env: dict[str, str], open_env: dict[str, str], logs: Path
) -> dict[str, dict[str, float]]:
    """AuthoriseSend on the wallet as served and on the same wallet with the credential check
    taken out, both running, in alternating rounds: the machine's drift falls on both alike.
    The same client, token included, calls both."""
    servers = {
        "checked": start("wallet", checked_env, logs / "serve-wallet", "--serve-wallet"),
        "open": start("wallet", open_env, logs / "serve-wallet-open", "--serve-wallet-open"),
    }
    sequential: dict[str, list[float]] = {name: [] for name in servers}
    concurrent: dict[str, list[float]] = {name: [] for name in servers}
    walls = dict.fromkeys(servers, 0.0)
    sequential_walls = dict.fromkeys(servers, 0.0)
    try:
        stubs = {}
        for name, server in servers.items():
            address = server.process.address
            with harness.trusted_channel(address) as setup:
                account = f"bench-{uuid.uuid4().hex[:8]}"
                setup_account(wallet_service_pb2_grpc.WalletServiceStub(setup), account)
            channel = harness.channel(address, service_auth.MESSAGING)
            stubs[name] = (wallet_service_pb2_grpc.WalletServiceStub(channel), account)
            measure_send(stubs[name][0], account, WARMUP_CALLS, 1)
        for _ in range(CHECK_ROUNDS):
            for name, (stub, account) in stubs.items():
                latencies, wall_s = _send_latencies(stub, account, CHECK_ROUND_CALLS, 1)
                sequential[name] += latencies
                sequential_walls[name] += wall_s
            for name, (stub, account) in stubs.items():
                latencies, wall_s = _send_latencies(
                    stub, account, CHECK_ROUND_CALLS * 2, CONCURRENT_CALLERS
                )
                concurrent[name] += latencies
                walls[name] += wall_s
    finally:
        for server in servers.values():
            server.process.terminate()
    results = {}
    for name in servers:
        results[f"authorise_{name}"] = summary(
            sequential[name], len(sequential[name]), sequential_walls[name]
        )
        results[f"authorise_concurrent_{name}"] = summary(
            concurrent[name], len(concurrent[name]), walls[name]
        )
    results["credential_check_in_process"] = {"identify_and_wrap_us": check_cost_us()}
    return results


def _send_latencies(
    stub: wallet_service_pb2_grpc.WalletServiceStub, account: str, count: int, callers: int
) -> tuple[list[float], float]:
    run = uuid.uuid4().hex[:8]

    def call(n: int) -> None:
        stub.AuthoriseSend(send_request(account, f"{run}-{n}"), timeout=DEADLINE_S)

    return run_calls(call, count, callers)


def check_cost_us() -> float:
    """What the interceptor does for one AuthoriseSend from messaging, in this process."""
    tokens = {c: service_auth.new_token(c) for c in service_auth.STANDARD_CALLERS}
    credentials = service_auth.ServerCredentials(
        service_auth.parse_callers(service_auth.callers_text(tokens)), b"k" * 40
    )
    method = "/billing.wallet.v1.WalletService/AuthoriseSend"
    auth = service_auth.ServiceAuth(
        credentials,
        service_auth.method_rules(
            "billing.wallet.v1.WalletService", {"AuthoriseSend": service_auth.allow("messaging")}
        ),
    )
    interceptor = service_auth.ServiceAuthInterceptor(auth)
    handler: Any = grpc.unary_unary_rpc_method_handler(lambda request, _context: request)
    details = type(
        "Details",
        (),
        {
            "method": method,
            "invocation_metadata": (
                ("authorization", "Bearer " + tokens["messaging"]),
                ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                ("user-agent", "grpc-python"),
            ),
        },
    )
    calls = 100_000
    started = time.perf_counter()
    for _ in range(calls):
        interceptor.intercept_service(lambda _details: handler, details)
    return round((time.perf_counter() - started) / calls * 1e6, 2)


def bench_baseline(env: dict[str, str], logs: Path) -> dict[str, dict[str, float]]:
    server = start("wallet", env, logs / "baseline", "--serve-baseline")
    results: dict[str, dict[str, float]] = {}
    try:
        with (
            harness.trusted_channel(server.process.address) as setup,
            harness.channel(server.process.address, service_auth.MESSAGING) as channel,
        ):
            stub = wallet_service_pb2_grpc.WalletServiceStub(channel)
            account = f"bench-{uuid.uuid4().hex[:8]}"
            setup_account(wallet_service_pb2_grpc.WalletServiceStub(setup), account)
            measure_send(stub, account, WARMUP_CALLS, 1)
            server.decision_times("AuthoriseSend")
            results["postgres_baseline"] = measure_send(stub, account, SEQUENTIAL_CALLS, 1)
            results["postgres_baseline"].update(server.decision_times("AuthoriseSend"))
            results["postgres_baseline_concurrent"] = measure_send(
                stub, account, CONCURRENT_CALLS, CONCURRENT_CALLERS
            )
            results["postgres_baseline_concurrent"].update(server.decision_times("AuthoriseSend"))
    finally:
        server.process.terminate()
    return results


def ratio_lines(results: dict[str, dict[str, float]]) -> list[tuple[str, float, str]]:
    """The ratios of the phases that ran (AUTHORISE_PHASES may leave some out)."""
    lines: list[tuple[str, float, str]] = []
    if "authorise" in results:
        send = results["authorise"]
        lines += [(r.name, results[r.key]["median"], r.target) for r in SAME_WINDOW_RATIOS]
        lines += [
            ("server decision p99 (µs)", send["server_decision_p99_us"], "<= 500"),
            (
                "AuthoriseBatch authorisations/s",
                results["authorise_batch"]["ops_per_s"],
                ">= 20000",
            ),
        ]
    if "authorise_checked" in results:
        checked, unchecked = results["authorise_checked"], results["authorise_open"]
        checked_many = results["authorise_concurrent_checked"]
        open_many = results["authorise_concurrent_open"]
        lines += [
            (
                "AuthoriseSend p50 with / without the credential check",
                checked["p50_us"] / unchecked["p50_us"],
                "",
            ),
            (
                f"AuthoriseSend ops/s with / without the check, {CONCURRENT_CALLERS} callers",
                checked_many["ops_per_s"] / open_many["ops_per_s"],
                "",
            ),
            (
                "credential check in process (µs)",
                results["credential_check_in_process"]["identify_and_wrap_us"],
                "",
            ),
        ]
    if "postgres_baseline" in results and "authorise" in results:
        send, many = results["authorise"], results["authorise_concurrent"]
        base, base_many = results["postgres_baseline"], results["postgres_baseline_concurrent"]
        lines += [
            (
                "baseline / wallet server decision p50",
                base["server_decision_p50_us"] / send["server_decision_p50_us"],
                ">= 3",
            ),
            (
                f"wallet / baseline ops/s, {CONCURRENT_CALLERS} callers on one account",
                many["ops_per_s"] / base_many["ops_per_s"],
                ">= 3",
            ),
        ]
    if "authorise_telemetry_off" in results:
        off, on = results["authorise_telemetry_off"], results["authorise_telemetry_on"]
        sampled = results["authorise_sampled"]
        many_off = results["authorise_concurrent_telemetry_off"]
        lines += [
            ("AuthoriseSend p50, telemetry on / off", on["p50_us"] / off["p50_us"], "<= 1.10"),
            (
                "AuthoriseSend p50, every request recorded / off",
                sampled["p50_us"] / off["p50_us"],
                "",
            ),
            (
                f"AuthoriseSend ops/s, {CONCURRENT_CALLERS} callers, telemetry on / off",
                results["authorise_concurrent_telemetry_on"]["ops_per_s"] / many_off["ops_per_s"],
                "",
            ),
            (
                f"AuthoriseSend ops/s, {CONCURRENT_CALLERS} callers, every request recorded / off",
                results["authorise_concurrent_sampled"]["ops_per_s"] / many_off["ops_per_s"],
                "",
            ),
            (
                "AuthoriseBatch authorisations/s, telemetry on / off",
                results["authorise_batch_telemetry_on"]["ops_per_s"]
                / results["authorise_batch_telemetry_off"]["ops_per_s"],
                "",
            ),
        ]
    return lines


def report(results: dict[str, dict[str, float]]) -> None:
    print(
        f"{'phase':30} {'p50 µs':>9} {'p99 µs':>9} {'p99.9 µs':>9} {'ops/s':>10} "
        f"{'server p50':>10} {'server p99':>10}"
    )
    for phase, figures in results.items():
        if "p50_us" not in figures:
            continue
        print(
            f"{phase:30} {figures['p50_us']:9.0f} {figures['p99_us']:9.0f} "
            f"{figures['p999_us']:9.0f} {figures['ops_per_s']:10.0f} "
            f"{figures.get('server_decision_p50_us', 0):10.0f} "
            f"{figures.get('server_decision_p99_us', 0):10.0f}"
        )
    print()
    rounds = {r.name: results[r.key] for r in SAME_WINDOW_RATIOS if r.key in results}
    if rounds:
        print(
            f"Ratios to the floors: floors and AuthoriseSend in {ROUNDS} alternating rounds (AB, "
            "BA, ...); the median of the per-round ratios, their range, the pooled figures' ratio"
        )
    for name, value, target in ratio_lines(results):
        line = f"{name:58} {value:10.2f}   {'target ' + target if target else '':15}"
        if name in rounds:
            ratio = rounds[name]
            line += f"  rounds {ratio['min']:.2f}-{ratio['max']:.2f}, pooled {ratio['pooled']:.2f}"
        print(line.rstrip())


def chosen_phases() -> set[str]:
    raw = os.environ.get("AUTHORISE_PHASES", "").strip()
    chosen = {phase.strip() for phase in raw.split(",") if phase.strip()} or set(PHASES)
    unknown = chosen - set(PHASES)
    if unknown:
        raise SystemExit(f"AUTHORISE_PHASES: unknown {sorted(unknown)}; choose from {PHASES}")
    return chosen


def main() -> None:
    from tests.harness.postgres import PostgresCluster
    from tests.harness.redis_servers import RedisServer

    phases = chosen_phases()
    logs = Path(tempfile.mkdtemp(prefix="bench-authorise-"))
    for folder in ("baseline", "serve-wallet", "serve-wallet-open"):
        (logs / folder).mkdir()
    redis_server = RedisServer().start()
    postgres = PostgresCluster().start()
    try:
        common = {"REDIS_URL": redis_server.url, "LOG_LEVEL": "WARNING"}
        results: dict[str, dict[str, float]] = {}
        if "wallet" in phases:
            wallet_env = {**common, "DATABASE_URL": postgres.create_database()}
            results.update(bench_wallet(wallet_env, logs))
        if "check" in phases:
            unchecked = {"WALLET_WORKERS": "false"}
            results.update(
                bench_credential_check(
                    {**common, "DATABASE_URL": postgres.create_database(), **unchecked},
                    {**common, "DATABASE_URL": postgres.create_database(), **unchecked},
                    logs,
                )
            )
        if "baseline" in phases:
            baseline_env = {**common, "DATABASE_URL": postgres.create_database()}
            results.update(bench_baseline(baseline_env, logs))
        if "telemetry" in phases:
            telemetry_env = {**common, "DATABASE_URL": postgres.create_database()}
            results.update(bench_telemetry(telemetry_env, logs))
    finally:
        postgres.stop()
        redis_server.stop()
    order = [
        "noop_health",
        "noop",
        "noop_redis",
        "noop_redis_concurrent",
        "authorise",
        "authorise_concurrent",
        "authorise_batch",
        *(r.key for r in SAME_WINDOW_RATIOS),
        "authorise_checked",
        "authorise_open",
        "authorise_concurrent_checked",
        "authorise_concurrent_open",
        "credential_check_in_process",
        "postgres_baseline",
        "postgres_baseline_concurrent",
        "authorise_telemetry_off",
        "authorise_concurrent_telemetry_off",
        "authorise_batch_telemetry_off",
        "authorise_telemetry_on",
        "authorise_concurrent_telemetry_on",
        "authorise_batch_telemetry_on",
        "authorise_sampled",
        "authorise_concurrent_sampled",
        "authorise_batch_sampled",
    ]
    results = {name: results[name] for name in order if name in results}
    report(results)
    written = Path(os.environ.get("AUTHORISE_RESULTS", "") or RESULTS)
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {written}")


if __name__ == "__main__":
    if "--serve-baseline" in sys.argv:
        from bench.postgres_baseline import serve

        serve()
    elif "--serve-wallet-open" in sys.argv:
        serve_wallet(open_ports=True)
    elif "--serve-wallet" in sys.argv:
        serve_wallet()
    else:
        main()

"""The callback path under gunicorn against a bare view on the same server and database.

Both targets are served by one gunicorn (gthread workers, keep-alive) through the same
middleware stack, on one fresh database (PostgreSQL or SQLite):

- bare: Django, one INSERT of the request body, ``success``;
- callback: the real command callback: size and timestamp checks, envelope parse, signature,
  decrypt, receiveid, event parse, the event row (dedupe key, encrypted XML), enqueue,
  ``success``;
- checks: the same callbacks through the callback's checks only (everything up to the event
  row, nothing stored);
- floor: a view that answers ``success`` and does nothing, through the same middleware;

so a breakdown tells the cost of the server and Django (floor), of the callback's checks and
of its store from each other and from the bare view's INSERT.

Every request is built before the clock starts: distinct suite_ticket callbacks, encrypted and
signed (none is a duplicate, none is sent twice); the bare view gets the same bodies. ``wrk``
drives both from its own process with the same connection count, in alternating rounds; each
figure is the median of the rounds with the spread (min-max). Beside req/s it reports the CPU
time per request of the gunicorn processes and of the PostgreSQL server. Then ``loadgen.py``
sends callbacks at a fixed 300/s (open loop) for the p99 target (<= 20 ms). With ``--profile
DIR`` a further round records each worker with py-spy into ``DIR/callback-<database>.svg``.

Needs ``wrk`` (``apt-get install wrk``; ``make bench`` installs it) and, for PostgreSQL, the
database server (``BENCH_DATABASE_URL``, default isvportal_bench, recreated). Redis db 12 is
the broker when Redis answers, and no worker runs: the queue only fills.

    python bench/callbacks.py [--database postgres|sqlite] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.serving import Callbacks, Load, Portal

TARGETS = ("floor", "bare", "checks", "callback")
P99_TARGET_MS = 20  # SPEC §5, at a steady 300 callbacks/s
HEADROOM = 2.5  # requests built per round, over the fastest rate seen times its seconds
WARM_UP_REQUESTS = 20_000  # 2 s of warm-up at up to 10,000 req/s (the no-op view passed 6,000)
Requests = list[tuple[str, bytes]]


def sent_to(path: str) -> Callable[[Requests], Requests]:
    """The same bodies, posted to another view."""
    return lambda requests: [(path, body) for _, body in requests]


def checks(requests: Requests) -> Requests:
    return [(path.replace("/callbacks/suite/", "/bench/checks/", 1), body)
            for path, body in requests]  # fmt: skip


ROUTE: dict[str, Callable[[Requests], Requests]] = {
    "floor": sent_to("/bench/floor/"), "bare": sent_to("/bench/bare/"), "checks": checks,
    "callback": list,
}  # fmt: skip


def spread(values: list[float], unit: str, digits: int = 0) -> str:
    return (
        f"{statistics.median(values):.{digits}f} {unit} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def profile(portal: Portal, callbacks: Callbacks, directory: Path, seconds: float, rate: float,
            connections: int) -> list[Path]:  # fmt: skip
    """A round under py-spy (one recorder per worker): the flame graphs of the callback path."""
    directory.mkdir(parents=True, exist_ok=True)
    outputs = []
    recorders = []
    for index, pid in enumerate(portal.worker_pids()):
        output = directory / f"callback-{portal.engine}-worker{index}.svg"
        # --gil: samples of the thread holding the GIL only, i.e. where the worker's CPU goes.
        command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
                   "--duration", str(int(seconds)), "--rate", "200", "--gil", "--nonblocking",
                   "--output", str(output)]  # fmt: skip
        recorders.append(subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))  # fmt: skip
        outputs.append(output)
    portal.wrk(callbacks.batch(int(rate * seconds * HEADROOM)), seconds=seconds,
               connections=connections)  # fmt: skip
    for recorder in recorders:
        recorder.wait(60)
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steady-rate", type=float, default=300)
    parser.add_argument("--profile", type=Path, help="write py-spy flame graphs here")
    args = parser.parse_args()

    callbacks = Callbacks()
    runs: dict[str, list[Load]] = {target: [] for target in TARGETS}
    with Portal(args.database, workers=args.workers) as portal:
        # Warm-up, which also measures how many requests a round needs (room for 10,000 req/s).
        warm = {
            target: portal.wrk(
                ROUTE[target](callbacks.batch(WARM_UP_REQUESTS)),
                seconds=2,
                connections=args.connections,
            )
            for target in TARGETS
        }
        # Every round gets room for the fastest rate seen so far and more: a target's warm-up
        # can come out far slower than its rounds (the floor's ran at 0.6x one of its rounds),
        # and a callback must never be sent twice.
        fastest = max(load.rate for load in warm.values())
        for _ in range(args.rounds):
            for target in TARGETS:
                count = int(fastest * args.seconds * HEADROOM) + 2000
                requests = ROUTE[target](callbacks.batch(count))
                load = portal.wrk(requests, seconds=args.seconds, connections=args.connections)
                runs[target].append(load)
                fastest = max(fastest, load.rate)
        steady = portal.fixed_rate(
            callbacks.batch(int(args.steady_rate * args.seconds * 1.5)),
            rate=args.steady_rate,
            connections=16,
            target_ms=P99_TARGET_MS,
        )
        graphs = []
        if args.profile:
            graphs = profile(portal, callbacks, args.profile, args.seconds,
                             fastest, args.connections)  # fmt: skip
    print(f"gunicorn {args.workers} gthread workers x 4 threads, {args.database}, broker "
          f"{portal.broker}; wrk -c{args.connections}, {args.rounds} rounds of "
          f"{args.seconds:g} s, median (min-max)")  # fmt: skip
    for target in TARGETS:
        loads = runs[target]
        app = [load.cpu_per_request_ms[0] for load in loads]
        db = [load.cpu_per_request_ms[1] for load in loads]
        print(f"{target:<9} {spread([x.rate for x in loads], 'req/s')}   "
              f"p50 {spread([x.p50_ms for x in loads], 'ms', 2)}   "
              f"p99 {spread([x.p99_ms for x in loads], 'ms', 2)}   "
              f"cpu/req app {statistics.median(app):.2f} ms "
              f"db {statistics.median(db):.2f} ms")  # fmt: skip
    ratios = [c.rate / b.rate for b, c in zip(runs["bare"], runs["callback"], strict=True)]
    print(f"ratio callback/bare  {spread(ratios, '', 2)}  target >= 0.80")
    # Where each target's CPU goes, from the medians of app + database CPU per request.
    cpu = {target: statistics.median(sum(load.cpu_per_request_ms) for load in runs[target])
           for target in TARGETS}  # fmt: skip
    print(f"breakdown, app + db CPU per request: server and Django {cpu['floor']:.2f} ms; "
          f"the bare view's INSERT +{cpu['bare'] - cpu['floor']:.2f} ms; the callback's checks "
          f"+{cpu['checks'] - cpu['floor']:.2f} ms and its store "
          f"+{cpu['callback'] - cpu['checks']:.2f} ms")  # fmt: skip
    print(f"callback at {args.steady_rate:g}/s  p50 {steady.p50_ms:.2f} ms   "
          f"p99 {steady.p99_ms:.2f} ms   max {steady.max_ms:.2f} ms, {steady.over_target} of "
          f"{steady.requests} over {P99_TARGET_MS} ms   "
          f"target p99 <= {P99_TARGET_MS} ms")  # fmt: skip
    for graph in graphs:
        print(f"flame graph          {graph}")


if __name__ == "__main__":
    main()

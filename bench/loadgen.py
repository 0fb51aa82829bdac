"""Open-loop load at a fixed rate, in a process of its own (bench/serving.py runs it).

Reads a JSON list of [path, body] from stdin and POSTs request n at start + n / rate over
``connections`` keep-alive connections. A request's latency counts from when it was due, not
from when a free connection sent it, so a slow answer that holds up later requests shows in the
percentiles instead of hiding (coordinated omission). Prints {"p50_ms", "p99_ms", "max_ms",
"over", "late"}, ``over`` being how many answers took longer than TARGET_MS: with
the slowest answer, it tells a p99 past its target caused by a few slow answers (a stall) from
one caused by many (a slow server). Exits with an error if any answer is not 200 "success".

    python bench/loadgen.py PORT RATE CONNECTIONS TARGET_MS < requests.json
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time

HEADERS = {"Content-Type": "text/xml", "X-Forwarded-Proto": "https"}


def main() -> None:
    port, rate, connections = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    target_ms = float(sys.argv[4])
    requests = [(path, body.encode()) for path, body in json.load(sys.stdin)]
    latencies: list[float] = []
    late = 0
    refused: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def client(index: int) -> None:
        nonlocal late
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, behind = [], 0
        for n in range(index, len(requests), connections):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.001:
                behind += 1
            path, body = requests[n]
            conn.request("POST", path, body=body, headers=HEADERS)
            response = conn.getresponse()
            reply = response.read()
            mine.append(time.perf_counter() - due)
            if response.status != 200 or reply != b"success":
                with lock:
                    refused.append(f"{path.split('?')[0]}: {response.status} {reply[:100]!r}")
        conn.close()
        with lock:
            latencies.extend(mine)
            late += behind

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if refused:
        raise SystemExit(f"{len(refused)} requests refused, e.g. {refused[0]}")
    ordered = sorted(latencies)

    def percentile(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    over = sum(1 for latency in ordered if latency * 1000 > target_ms)
    report = {"p50_ms": percentile(0.5), "p99_ms": percentile(0.99),
              "max_ms": round(ordered[-1] * 1000, 3), "over": over, "late": late}  # fmt: skip
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()

"""Load test of the web app: simulated users ask questions through the ``/ask`` API at the same time.

    python bench/load_test.py [--users 20] [--requests 2000] [--warmup 200] [--max-seconds 1200]
    python bench/load_test.py --url http://127.0.0.1:7860/ [--pid 1234]

Without ``--url`` it ingests data/corpus into a temporary index, starts ``assistant serve`` on a free
loopback port over it, and stops it at the end; with ``--url`` it uses a running app, which must be on
127.0.0.1 or localhost (``--pid`` lets it read that server's memory). Each user asks, waits for the answer,
and asks again (no pause): latency is the time from sending the question to the complete answer, over
plain HTTP (``/gradio_api/call/ask``; each request is a new Gradio session, as one-off API clients are).

It reports p50/p95/max latency, throughput and errors, and the server's resident memory (RSS) at start,
after the warm-up and after the measured requests (sampled along the way), prints them and writes
bench/load_results.json. Request count and wall time are bounded: it always stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "load_results.json"
STARTUP_TIMEOUT_S = 600  # the embedding model loads in 30-60 s; more when the cores are busy
REQUEST_TIMEOUT_S = 120
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Questions of different kinds (figures, dates, comparisons, collection questions, follow-up-less
# fragments), Vietnamese and English, so the load is not one cached path.
QUESTIONS = (
    "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?",
    "Điện Biên đặt mục tiêu tỷ lệ hồ sơ trực tuyến toàn trình bao nhiêu vào năm 2025?",
    "What is Lai Chau's target for cutting compliance costs by 2025?",
    "Lai Châu và Quảng Bình cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?",
    "Kho tài liệu có những văn bản nào?",
    "Ai ký kế hoạch cải cách hành chính của Sơn La?",
    "Tỷ lệ hài lòng của người dân ở Quảng Bình năm 2025 là bao nhiêu?",
    "Which provinces have documents in the collection?",
    "Mục tiêu chuyển đổi số của Điện Biên đến năm 2030?",
    "Quảng Bình ban hành kế hoạch cải cách hành chính ngày nào?",
)


@dataclass
class Result:
    latency_s: float
    ok: bool
    error: str = ""


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_s(pid: int | None) -> float | None:
    """CPU time (user + system) the process has used so far."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- one request ---------------------------------------------------------------------------------------
class AskClient:
    """One simulated user: a keep-alive HTTP connection; ``ask`` sends a question and reads the answer."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):  # a keep-alive connection the server closed meanwhile: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
            try:
                headers = {"Content-Type": "application/json"} if body is not None else {}
                self.conn.request(method, self.prefix + path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def ask(self, question: str) -> Result:
        started = time.perf_counter()
        try:
            body = json.dumps({"data": [question, "extractive", "", None, None]}).encode()
            status, data = self._request("POST", "/gradio_api/call/ask", body)
            if status != 200:
                return Result(time.perf_counter() - started, False, f"HTTP {status} {data[:200]!r}")
            event_id = json.loads(data)["event_id"]
            status, data = self._request("GET", f"/gradio_api/call/ask/{event_id}")
            elapsed = time.perf_counter() - started
            if status != 200:
                return Result(elapsed, False, f"HTTP {status} {data[:200]!r}")
            event, payload = last_event(data.decode("utf-8", errors="replace"))
            if event != "complete":
                return Result(elapsed, False, f"{event}: {payload[:200]}")
            answer = json.loads(payload)[0]
            if not isinstance(answer, dict) or not answer.get("answer"):
                return Result(elapsed, False, f"no answer in {payload[:200]}")
            return Result(elapsed, True)
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            self.close()
            return Result(time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def last_event(stream: str) -> tuple[str, str]:
    """The last (event, data) of a server-sent-event stream, heartbeats skipped."""
    event, data, last = "", "", ("", "")
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
            if event != "heartbeat":
                last = (event, data)
    return last


# --- a phase: users asking until the request budget or the time is spent -----------------------------
def run_phase(url: str, users: int, requests: int, deadline: float, pid: int | None,
              sample_every: int = 0) -> tuple[list[Result], float, list[tuple[int, float | None]]]:
    results: list[Result] = []
    samples: list[tuple[int, float | None]] = []
    lock = threading.Lock()
    issued = [0]

    def take() -> int | None:
        with lock:
            if issued[0] >= requests or time.monotonic() > deadline:
                return None
            issued[0] += 1
            return issued[0]

    def user(n: int) -> None:
        client = AskClient(url)
        try:
            while (i := take()) is not None:
                result = client.ask(QUESTIONS[(i + n) % len(QUESTIONS)])
                with lock:
                    results.append(result)
                    done = len(results)
                if sample_every and done % sample_every == 0:
                    samples.append((done, rss_mb(pid)))
        finally:
            client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT_S)
    return results, time.perf_counter() - started, samples


def summary(results: list[Result], seconds: float) -> dict:
    latencies = [r.latency_s for r in results if r.ok]
    errors = [r.error for r in results if not r.ok]
    return {
        "requests": len(results), "errors": len(errors), "error_examples": sorted(set(errors))[:5],
        "seconds": round(seconds, 1), "throughput_rps": round(len(results) / seconds, 2) if seconds else None,
        "p50_s": round(percentile(latencies, 50), 3), "p95_s": round(percentile(latencies, 95), 3),
        "max_s": round(max(latencies), 3) if latencies else None,
    }


# --- the server under test -----------------------------------------------------------------------------
def server_env(root: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_") or k in ("CCHC_MODELS_DIR",
                                                                                      "CCHC_EMBEDDING_MODEL")}
    env.update(CCHC_CHROMA_PATH=str(root / "chroma"), CCHC_DATA_DIR=str(root / "data"),
               CCHC_FEEDBACK_PATH=str(root / "feedback.jsonl"), CCHC_ADMIN_PASSWORD="", CCHC_HOST="127.0.0.1",
               CCHC_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1",
               ANONYMIZED_TELEMETRY="False")
    return env


def start_server(root: Path) -> tuple[str, subprocess.Popen]:
    port = free_port()
    env = server_env(root, port)
    assistant = [sys.executable, "-m", "assistant"]
    print("ingesting data/corpus into a temporary index ...", flush=True)
    subprocess.run([*assistant, "ingest", str(ROOT / "data" / "corpus"), "--quiet"], cwd=ROOT, env=env, check=True,
                   timeout=STARTUP_TIMEOUT_S)
    log = (root / "server.log").open("w")
    process = subprocess.Popen([*assistant, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join((root / "server.log").read_text("utf-8", errors="replace").splitlines()[-20:])
            raise RuntimeError(f"the app exited with status {process.returncode}:\n{tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
            status, _ = AskClient(url)._request("GET", "/gradio_api/info")
            if status == 200:
                return url, process
        except OSError:
            pass
        time.sleep(1)
    process.terminate()
    raise RuntimeError(f"the app did not start within {STARTUP_TIMEOUT_S} s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


def check_loopback(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        raise SystemExit(f"--url must be http:// on {', '.join(LOOPBACK_HOSTS)} (this tool loads a local app only)")
    return url if url.endswith("/") else url + "/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="simultaneous users (default 20)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests, not measured (default 200)")
    parser.add_argument("--max-seconds", type=float, default=1200, help="wall-time bound of both phases (s)")
    parser.add_argument("--url", help="a running app on 127.0.0.1/localhost (default: start one)")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, to report its memory")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    if not (1 <= args.users <= 200 and 1 <= args.requests <= 100_000 and 0 <= args.warmup <= 100_000):
        raise SystemExit("--users must be 1-200, --requests 1-100000, --warmup 0-100000")

    root = Path(tempfile.mkdtemp(prefix="cchc-load-"))
    process = None
    try:
        if args.url:
            url, pid = check_loopback(args.url), args.pid
        else:
            url, process = start_server(root)
            pid = process.pid
        deadline = time.monotonic() + args.max_seconds
        load_before = os.getloadavg()[0]
        rss_start = rss_mb(pid)
        print(f"{url}: warm-up, {args.warmup} requests from {args.users} users ...", flush=True)
        warm, warm_s, _ = run_phase(url, args.users, args.warmup, deadline, pid)
        rss_warm = rss_mb(pid)
        print(f"measuring {args.requests} requests from {args.users} users ...", flush=True)
        cpu_before, own_before = cpu_s(pid), time.process_time()
        results, seconds, samples = run_phase(url, args.users, args.requests, deadline, pid,
                                              sample_every=max(1, args.requests // 8))
        cpu_after, own_cpu = cpu_s(pid), time.process_time() - own_before
        rss_end = rss_mb(pid)
        server_cpu = cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_average_before": round(load_before, 2),
            "users": args.users,
            "warmup": summary(warm, warm_s),
            "measured": summary(results, seconds),
            # CPU per request, less dependent on what else runs on the machine than latency is
            "server_cpu_ms_per_request": round(server_cpu / len(results) * 1000, 1) if server_cpu and results else None,
            "load_generator_cpu_ms_per_request": round(own_cpu / len(results) * 1000, 1) if results else None,
            "rss_mb": {"start": rss_start, "after_warmup": rss_warm, "end": rss_end,
                       "growth_after_warmup": round(rss_end - rss_warm, 1) if rss_end and rss_warm else None,
                       "samples": [{"requests": n, "rss_mb": mb} for n, mb in sorted(samples)]},
            "stopped_by_time_limit": len(warm) + len(results) < args.warmup + args.requests,
            "load_average_after": round(os.getloadavg()[0], 2),
        }
    finally:
        if process is not None:
            stop_server(process)
        shutil.rmtree(root, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    m, r = report["measured"], report["rss_mb"]
    print(f"{m['requests']} requests, {args.users} users: p50 {m['p50_s']} s, p95 {m['p95_s']} s, max {m['max_s']} s, "
          f"{m['throughput_rps']} req/s, errors {m['errors']}")
    print(f"server CPU per request: {report['server_cpu_ms_per_request']} ms "
          f"(this load generator: {report['load_generator_cpu_ms_per_request']} ms)")
    print(f"RSS MB: start {r['start']}, after warm-up {r['after_warmup']}, end {r['end']} "
          f"(growth {r['growth_after_warmup']})  -> {args.out}")
    return 1 if m["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

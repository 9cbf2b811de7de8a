#!/usr/bin/env python3
"""Reliability of the mesh under bad input, overload and faults, measured in one run.

1. Bad input: well over a hundred malformed requests (every field of every endpoint with values of
   the wrong type, out of range or absurd; broken JSON and multipart; wrong methods and content
   types; oversized bodies; forged image headers). Counted by answer; any 5xx is a failure.
2. Overload: a greedy API key submits jobs (POST /v1/jobs) at --multiple times the mesh's measured
   capacity for --duration seconds, while a modest key sends one image request at a time and
   another client hangs up on a waiting request every few seconds. Meanwhile the decoder is killed
   (SIGKILL) and started again 3 s later, and the gateway is stopped (SIGTERM) and started again.
   Resident memory of every service is sampled every second.
3. Afterwards: how long the queue takes to drain, and for every job the run created (found in
   Redis by its request id): terminal or not (lost), how often it completed (duplicated if more
   than once), and whether the hung-up requests' jobs were cancelled.

    bench/reliability                       # starts the mesh with two API keys if nothing serves
    bench/reliability --duration 60 --multiple 10
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = Path(os.environ.get("UNCLIP_STATE", ROOT / ".unclip")) / "run"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from rest import serving  # noqa: E402

GREEDY_KEY = "bench-greedy-key"
MODEST_KEY = "bench-modest-key"
SERVICES = ["gateway", "text-encoder-svc", "prior-svc", "decoder-svc"]


def request(base, method, path, body=None, headers=None, key=None, timeout=600):
    """-> (status, headers, body bytes); status 0 when the connection failed."""
    headers = dict(headers or {})
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except (urllib.error.URLError, OSError):
        return 0, {}, b""


def png(width, height, claimed=None):
    """A grey PNG; `claimed` = (w, h) written into the header instead (a forged size)."""
    w, h = claimed or (width, height)
    raw = b"".join(b"\x00" + b"\x80" * (3 * width) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def multipart(fields, image=None, boundary="benchboundary"):
    parts = []
    for name, value in fields.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
    if image is not None:
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"i.png\"\r\n"
                     f"Content-Type: image/png\r\n\r\n".encode() + image + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def bad_inputs():
    """(label, method, path, body, headers) of malformed requests: none may get a 5xx (or no answer)."""
    cases = []
    json_h = {"Content-Type": "application/json"}
    base = {"prompt": "a red circle", "size": "64x64"}
    bad_values = {
        "prompt": [None, 7, [], {}, True, "", " ", "x" * 1001],
        "n": [0, -1, 11, 1.5, "2", 1e9, "", [1]],
        "size": ["", "128x128", "256", 256, "256x256x", "1024x1024", {}],
        "response_format": ["png", 1, "", ["url"]],
        "seed": ["x", 1.5, 2 ** 64, -(2 ** 64), {}],
        "prior_steps": [-1, 1001, "10", 1e10, 2.5],
        "decoder_steps": [-1, 1001, "ten", 1e12],
        "upsampler_steps": [-5, 5000, []],
        "prior_guidance_scale": [-1, 101, "NaN", {}],
        "decoder_guidance_scale": [-0.5, 1e6, "x"],
        "preset": ["slow", 3, ""],
        "model": ["gpt-image-1", 5],
        "user": [5, {}],
        "an_unknown_field": [1],
    }
    for field, values in bad_values.items():
        for value in values:
            body = dict(base)
            body[field] = value
            cases.append((f"generation {field}={json.dumps(value)[:20]}", "POST", "/v1/images/generations",
                          json.dumps(body).encode(), json_h))
    for label, body, headers in [
        ("generation: not JSON", b"{prompt: red", json_h),
        ("generation: a JSON array", b"[1,2]", json_h),
        ("generation: JSON nested 100000 deep", b"[" * 100000 + b"]" * 100000, json_h),
        ("generation: empty body", b"", json_h),
        ("generation: invalid UTF-8", b'{"prompt": "\xff\xfe"}', json_h),
        ("generation: text/plain", json.dumps(base).encode(), {"Content-Type": "text/plain"}),
        ("generation: form-encoded", b"prompt=a+red+circle", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("generation: 1 MB body", json.dumps({"prompt": "a" * 1_000_000}).encode(), json_h),
        ("generation: Idempotency-Key of 300 characters", json.dumps(base).encode(), {**json_h, "Idempotency-Key": "k" * 300}),
    ]:
        cases.append((label, "POST", "/v1/images/generations", body, headers))
    for label, fields, image in [
        ("variation: no image", {"n": "1"}, None),
        ("variation: not an image", {}, b"hello"),
        ("variation: a header claiming 16000x16000", {}, png(8, 8, claimed=(16000, 16000))),
        ("variation: not square", {}, png(16, 8)),
        ("variation: n=0", {"n": "0"}, png(8, 8)),
        ("variation: n=x", {"n": "x"}, png(8, 8)),
        ("variation: size=3x3", {"size": "3x3"}, png(8, 8)),
        ("variation: decoder_steps=5000", {"decoder_steps": "5000"}, png(8, 8)),
        ("variation: model=unknown", {"model": "unknown"}, png(8, 8)),
        ("variation: truncated PNG", {}, png(8, 8)[:40]),
    ]:
        body, ctype = multipart(fields, image)
        cases.append((label, "POST", "/v1/images/variations", body, {"Content-Type": ctype}))
    good, ctype = multipart({}, png(8, 8))
    for label, body, headers in [
        ("variation: multipart without boundary", good, {"Content-Type": "multipart/form-data"}),
        ("variation: a boundary the body does not use", good, {"Content-Type": "multipart/form-data; boundary=other"}),
        ("variation: truncated multipart", good[: len(good) // 2], {"Content-Type": ctype}),
        ("variation: JSON body", json.dumps(base).encode(), json_h),
        ("variation: empty body", b"", {"Content-Type": ctype}),
    ]:
        cases.append((label, "POST", "/v1/images/variations", body, headers))
    interp = {"from": {"prompt": "a red circle"}, "to": {"prompt": "a blue square"}, "frames": 3, "size": "64x64"}
    for field, value in [("frames", 1), ("frames", 17), ("frames", "x"), ("from", None), ("to", {"image": "not base64!"}),
                         ("to", {"image": base64.b64encode(b"not a png").decode()}), ("to", {"prompt": "a", "image": "x"}),
                         ("from", "a red circle"), ("to", {})]:
        body = dict(interp)
        body[field] = value
        cases.append((f"interpolation {field}={json.dumps(value)[:20]}", "POST", "/v1/images/interpolations",
                      json.dumps(body).encode(), json_h))
    diff = {"prompt": "a red circle", "from_text": "red", "to_text": "blue", "size": "64x64"}
    for field, value in [("max_theta", 2), ("max_theta", -1), ("from_text", None), ("to_text", 3), ("frames", 0), ("prompt", None)]:
        body = dict(diff)
        body[field] = value
        cases.append((f"text diff {field}={json.dumps(value)[:20]}", "POST", "/v1/images/text_diffs",
                      json.dumps(body).encode(), json_h))
    for label, method, path in [
        ("job: unknown id", "GET", "/v1/jobs/0123456789abcdef0123456789abcdef"),
        ("job: malformed id", "GET", "/v1/jobs/..%2F..%2Fetc"),
        ("job: cancel an unknown id", "DELETE", "/v1/jobs/0123456789abcdef0123456789abcdef"),
        ("job: events of an unknown id", "GET", "/v1/jobs/0123456789abcdef0123456789abcdef/events"),
        ("result: unknown job", "GET", "/v1/images/results/0123456789abcdef0123456789abcdef/0.png"),
        ("result: malformed job", "GET", "/v1/images/results/abc/0.png"),
        ("generations: GET", "GET", "/v1/images/generations"),
        ("generations: PUT", "PUT", "/v1/images/generations"),
        ("edits", "POST", "/v1/images/edits"),
        ("unknown endpoint", "POST", "/v1/images/unknown"),
    ]:
        cases.append((label, method, path, b"" if method in ("POST", "PUT") else None, json_h))
    job = {"type": "no_such_type", "prompt": "a red circle"}
    cases.append(("jobs: unknown type", "POST", "/v1/jobs", json.dumps(job).encode(), json_h))
    cases.append(("jobs: not JSON", "POST", "/v1/jobs", b"\x00\x01", json_h))
    return cases


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pid_of(service):
    try:
        return int((RUN / f"{service}.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def unclip(*args, env=None):
    subprocess.run([str(ROOT / "unclip"), *args], check=True, stdout=subprocess.DEVNULL, env=env)


JOBS_SCRIPT = """
local out = {}
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1] .. 'job:*', 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local rid = redis.call('HGET', key, 'request_id')
    if rid and string.sub(rid, 1, string.len(ARGV[2])) == ARGV[2] then
      local id = redis.call('HGET', key, 'id')
      local completed = 0
      for _, e in ipairs(redis.call('XRANGE', ARGV[1] .. 'job-events:' .. id, '-', '+')) do
        for i = 1, #e[2], 2 do
          if e[2][i] == 'type' and e[2][i + 1] == 'completed' then completed = completed + 1 end
        end
      end
      table.insert(out, rid .. ' ' .. (redis.call('HGET', key, 'state') or '?') .. ' ' .. completed .. ' ' .. (redis.call('HGET', key, 'attempts') or '0'))
    end
  end
until cursor == '0'
return out
"""


def jobs_of_run(prefix, tag):
    """request id -> (state, completed events, attempts) of every job whose request id starts with `tag`."""
    out = subprocess.run(["redis-cli", "--raw", "EVAL", JOBS_SCRIPT, "0", prefix, tag],
                         check=True, capture_output=True, text=True).stdout
    jobs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            jobs[parts[0]] = (parts[1], int(parts[2]), int(parts[3]))
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--duration", type=float, default=90, help="seconds of overload")
    parser.add_argument("--multiple", type=float, default=10, help="submission rate ÷ measured capacity")
    parser.add_argument("--size", default="64x64", help="image size of the overload's jobs")
    parser.add_argument("--no-faults", action="store_true", help="no decoder kill or gateway stop during the overload")
    parser.add_argument("--prefix", default="unclip:", help="the gateway's Redis key prefix")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    base = args.url
    tag = f"bench-{uuid.uuid4().hex[:8]}-"
    env = dict(os.environ, UNCLIP_API_KEYS=f"{GREEDY_KEY},{MODEST_KEY}")

    started = False
    if not serving(base):
        print("bench: starting the mesh with two API keys (./unclip up)", flush=True)
        unclip("up", env=env)
        started = True
    elif request(base, "GET", "/v1/jobs/0123456789abcdef0123456789abcdef")[0] != 401:
        print("bench: the running gateway has no API keys; stop it (./unclip down) so that the benchmark starts "
              "one with its own two keys", file=sys.stderr)
        return 2
    figures = {}
    try:
        # ---- 1. bad input
        cases = bad_inputs()
        by_class, failures = {}, []
        for label, method, path, body, headers in cases:
            status, _, answer = request(base, method, path, body, headers, key=MODEST_KEY, timeout=60)
            by_class[f"{status // 100}xx" if status else "no answer"] = by_class.get(f"{status // 100}xx" if status else "no answer", 0) + 1
            if status >= 500 or status == 0:
                failures.append(f"{label}: {status} {answer[:120]!r}")
        alive = all(pid_of(s) and Path(f"/proc/{pid_of(s)}").exists() for s in SERVICES)
        figures["bad_input"] = {"cases": len(cases), "answers": by_class, "not_4xx": failures, "services_alive": alive}
        print(f"bench: bad input: {len(cases)} cases, {by_class}; services alive: {alive}", flush=True)

        # ---- 2. capacity, then overload
        body = lambda i, prompt="a large red circle in the center on a blue background": json.dumps(
            {"prompt": prompt, "size": args.size, "seed": i, "response_format": "b64_json"}).encode()
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda i: request(base, "POST", "/v1/images/generations", body(i),
                                                         {"Content-Type": "application/json", "x-request-id": f"{tag}warm-{i}"},
                                                         key=MODEST_KEY)[0], range(48)))
        capacity = 48 / (time.perf_counter() - t0)
        rate = capacity * args.multiple
        print(f"bench: capacity {capacity:.2f} images/s ({statuses.count(200)}/48 ok); overload at {rate:.1f} submissions/s "
              f"for {args.duration:.0f} s", flush=True)

        stop = threading.Event()
        lock = threading.Lock()
        greedy = {"sent": 0, "202": 0, "429": 0, "429_retry_after": 0, "other": 0, "no_answer": 0}
        modest = {"sent": 0, "200": 0, "429": 0, "other": 0, "no_answer": 0, "latencies": []}
        hangups = []
        peak = {s: 0.0 for s in SERVICES}
        faults = []

        def greedy_client(k):
            n = 0
            interval = 64 / rate
            next_at = time.perf_counter() + k * interval / 64
            while not stop.is_set():
                time.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
                rid = f"{tag}greedy-{k}-{n}"
                n += 1
                status, headers, _ = request(base, "POST", "/v1/jobs", body(n, "a small green square at the top on a white background"),
                                             {"Content-Type": "application/json", "x-request-id": rid}, key=GREEDY_KEY, timeout=30)
                with lock:
                    greedy["sent"] += 1
                    if status == 202:
                        greedy["202"] += 1
                    elif status == 429:
                        greedy["429"] += 1
                        greedy["429_retry_after"] += 1 if "Retry-After" in headers or "retry-after" in headers else 0
                    elif status == 0:
                        greedy["no_answer"] += 1
                    else:
                        greedy["other"] += 1

        def modest_client():
            n = 0
            while not stop.is_set():
                rid = f"{tag}modest-{n}"
                n += 1
                start = time.perf_counter()
                status, _, _ = request(base, "POST", "/v1/images/generations", body(n, "a large yellow triangle on a black background"),
                                       {"Content-Type": "application/json", "x-request-id": rid}, key=MODEST_KEY, timeout=600)
                with lock:
                    modest["sent"] += 1
                    key = str(status) if status in (200, 429) else ("no_answer" if status == 0 else "other")
                    modest[key] += 1
                    if status == 200:
                        modest["latencies"].append(time.perf_counter() - start)
                if status != 200:
                    time.sleep(1)

        def hangup_client():
            n = 0
            while not stop.wait(5):
                rid = f"{tag}hangup-{n}"
                n += 1
                payload = body(n, "a small purple circle on the left on a white background")
                try:
                    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5) as s:
                        s.sendall((f"POST /v1/images/generations HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                                   f"Authorization: Bearer {MODEST_KEY}\r\nx-request-id: {rid}\r\n"
                                   f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload)
                        time.sleep(0.3)
                    hangups.append(rid)
                except OSError:
                    pass

        def sampler():
            while not stop.wait(1):
                for s in SERVICES:
                    pid = pid_of(s)
                    if pid:
                        peak[s] = max(peak[s], rss_mb(pid))

        def fault_injector():
            if args.no_faults:
                return
            if stop.wait(args.duration * 0.25):
                return
            pid = pid_of("decoder-svc")
            os.kill(pid, signal.SIGKILL)
            faults.append("decoder-svc SIGKILL, started again 3 s later")
            time.sleep(3)
            unclip("up", env=env)
            if stop.wait(args.duration * 0.25):
                return
            pid = pid_of("gateway")
            os.kill(pid, signal.SIGTERM)
            while Path(f"/proc/{pid}").exists():
                time.sleep(0.1)
            faults.append("gateway SIGTERM, started again at once")
            unclip("up", env=env)

        threads = [threading.Thread(target=greedy_client, args=(k,)) for k in range(64)]
        threads += [threading.Thread(target=modest_client), threading.Thread(target=hangup_client),
                    threading.Thread(target=sampler), threading.Thread(target=fault_injector)]
        for t in threads:
            t.start()
        time.sleep(args.duration)
        stop.set()
        for t in threads:
            t.join()
        print(f"bench: overload done: greedy {greedy}, modest {dict(modest, latencies=len(modest['latencies']))}", flush=True)

        # ---- 3. drain and account
        t_stop = time.perf_counter()
        deadline = t_stop + 900
        while time.perf_counter() < deadline:
            jobs = jobs_of_run(args.prefix, tag)
            open_jobs = [r for r, (state, _, _) in jobs.items() if state in ("queued", "running")]
            if not open_jobs:
                break
            time.sleep(1)
        drain = time.perf_counter() - t_stop
        for s in SERVICES:
            pid = pid_of(s)
            if pid:
                peak[s] = max(peak[s], rss_mb(pid))
        jobs = jobs_of_run(args.prefix, tag)
        states = {}
        for state, _, _ in jobs.values():
            states[state] = states.get(state, 0) + 1
        lost = sorted(r for r, (state, _, _) in jobs.items() if state in ("queued", "running"))
        duplicated = sorted(r for r, (_, completed, _) in jobs.items() if completed > 1)
        hung_up = {r: jobs.get(r, ("not accepted", 0, 0))[0] for r in hangups}
        latencies = sorted(modest["latencies"])
        figures.update({
            "capacity_images_per_s": capacity, "submission_rate_per_s": rate, "duration_s": args.duration,
            "greedy": greedy, "faults": faults,
            "modest": {k: v for k, v in modest.items() if k != "latencies"},
            "modest_p50_s": statistics.median(latencies) if latencies else None,
            "modest_p95_s": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else None,
            "hangups": len(hangups), "hangups_cancelled": sum(1 for s in hung_up.values() if s == "cancelled"),
            "hangup_states": hung_up,
            "jobs_accepted": len(jobs), "jobs_by_state": states, "lost": lost, "duplicated": duplicated,
            "drain_s": drain, "peak_rss_mb": peak,
        })
    finally:
        if started:
            unclip("down", env=env)

    f = figures
    b = f["bad_input"]
    print()
    print("reliability: bad input, overload and faults")
    print(f"  bad input cases                 {b['cases']} ({', '.join(f'{k} {v}' for k, v in sorted(b['answers'].items()))}); "
          f"5xx or no answer: {len(b['not_4xx'])}; every service still running: {b['services_alive']}")
    for line in b["not_4xx"]:
        print(f"    {line}")
    print(f"  capacity (measured)             {f['capacity_images_per_s']:.2f} images/s ({args.size})")
    print(f"  overload                        {f['submission_rate_per_s']:.1f} submissions/s ({args.multiple:g}x) for {f['duration_s']:.0f} s")
    g = f["greedy"]
    print(f"  greedy key                      {g['sent']} sent: {g['202']} accepted, {g['429']} answered 429 "
          f"({g['429_retry_after']} with Retry-After), {g['no_answer']} no answer (gateway restarting), {g['other']} other")
    m = f["modest"]
    p50 = f"{f['modest_p50_s']:.2f}" if f["modest_p50_s"] is not None else "-"
    p95 = f"{f['modest_p95_s']:.2f}" if f["modest_p95_s"] is not None else "-"
    print(f"  modest key (one at a time)      {m['sent']} sent: {m['200']} images, {m['429']} answered 429, "
          f"{m['no_answer']} no answer, {m['other']} other; p50 {p50} s, p95 {p95} s")
    print(f"  hang-ups                        {f['hangups']}, their jobs cancelled: {f['hangups_cancelled']}")
    print(f"  faults injected                 {'; '.join(f['faults']) or 'none'}")
    print(f"  jobs accepted                   {f['jobs_accepted']} {f['jobs_by_state']}")
    print(f"  lost / duplicated               {len(f['lost'])} / {len(f['duplicated'])}")
    print(f"  queue drained after             {f['drain_s']:.1f} s")
    print(f"  peak resident memory (MB)       {', '.join(f'{s} {v:.0f}' for s, v in f['peak_rss_mb'].items())}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0 if not b["not_4xx"] and not f["lost"] and not f["duplicated"] else 1


if __name__ == "__main__":
    sys.exit(main())

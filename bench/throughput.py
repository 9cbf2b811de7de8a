#!/usr/bin/env python3
"""Images per second through the REST API at concurrency 1, 4 and 16, measured in one run.

Each request is one 256x256 image at the family's default settings (steps, guidance), a distinct
Shapes-world prompt and a fixed seed, sent to POST /v1/images/generations; `concurrency` clients
send requests back to back. Prints a table and the ratios c4/c1 and c16/c1.

    bench/throughput                 # starts the mesh (./unclip up) if nothing serves the port
    bench/throughput --requests 48   # requests per concurrency level (default: 16, 32, 64)
"""
import argparse
import concurrent.futures
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from rest import generate, serving  # noqa: E402

COLOURS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"]
SHAPES = ["circle", "square", "triangle"]
POSITIONS = ["in the center", "on the left", "on the right", "at the top", "at the bottom"]


def prompt(i: int) -> str:
    colour = COLOURS[i % len(COLOURS)]
    background = COLOURS[(i * 3 + 1) % len(COLOURS)]
    if background == colour:
        background = COLOURS[(i * 3 + 2) % len(COLOURS)]
    size = "large" if i % 2 == 0 else "small"
    return (f"a {size} {colour} {SHAPES[i % len(SHAPES)]} {POSITIONS[i % len(POSITIONS)]} "
            f"on a {background} background")


def level(base: str, concurrency: int, requests: int, size: str, offset: int):
    latencies = []
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        def one(i):
            return generate(base, prompt(offset + i), 1000 + offset + i, size)

        for latency in pool.map(one, range(requests)):
            latencies.append(latency)
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "concurrency": concurrency,
        "requests": requests,
        "wall_s": wall,
        "images_per_s": requests / wall,
        "p50_s": statistics.median(latencies),
        "p95_s": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--requests", type=int, default=0,
                        help="requests per level (default 16 at c1, 32 at c4, 64 at c16)")
    parser.add_argument("--size", default="256x256")
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    started = False
    if not serving(args.url):
        print("bench: starting the mesh (./unclip up)", flush=True)
        subprocess.run([str(ROOT / "unclip"), "up"], check=True, stdout=subprocess.DEVNULL)
        started = True
    try:
        # every batch shape the levels will see, and the JIT, warmed before anything is timed
        print("bench: warming up", flush=True)
        level(args.url, 16, 32, args.size, 900)
        level(args.url, 1, 4, args.size, 950)
        rows = []
        offset = 0
        for c in [int(x) for x in args.levels.split(",")]:
            n = args.requests or {1: 16, 4: 32}.get(c, 64)
            rows.append(level(args.url, c, n, args.size, offset))
            offset += n
            r = rows[-1]
            print(f"bench: c={c}: {r['images_per_s']:.2f} images/s", flush=True)
    finally:
        if started:
            subprocess.run([str(ROOT / "unclip"), "down"], check=False, stdout=subprocess.DEVNULL)

    base = rows[0]["images_per_s"]
    print()
    print(f"throughput through REST, {args.size}, family defaults, one image per request")
    print(f"{'concurrency':>11} {'requests':>8} {'wall s':>8} {'images/s':>9} {'p50 s':>7} {'p95 s':>7} {'÷ c1':>6}")
    for r in rows:
        print(f"{r['concurrency']:>11} {r['requests']:>8} {r['wall_s']:>8.2f} {r['images_per_s']:>9.2f} "
              f"{r['p50_s']:>7.2f} {r['p95_s']:>7.2f} {r['images_per_s'] / base:>6.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""One image, as fast as this machine allows: every figure below measured in the same run.

    bench/latency                       # starts the mesh (./unclip up) if nothing serves --url
    bench/latency --soak 0              # skip the 1,000-image memory soak
    bench/latency --preset quality      # another of the family's presets

1. The peak: a 2048² MatMul through ONNX Runtime (one thread; two threads; two one-thread calls
   side by side), the best of the three as this machine's reference peak.
2. FLOPs per call of every denoising graph, counted from the graph's Conv/MatMul/Gemm nodes with
   the shapes ONNX Runtime reports (bench/graph_flops.py).
3. The cascade in one JVM (bench/cascade, CascadeBench): diffusion-core on the same graphs and
   thread layout as the services; per loop its wall time, steps, calls and ONNX time.
4. The mesh through REST at concurrency 1 (after --warmup untimed images), each stage's call time
   from /q/metrics and each service's CPU time per image (of it its JIT compilers') from /proc.
5. The project's PyTorch reference sampler on the same weights, prompt, seeds and settings
   (bench/reference_timing.py, all cores), and at the DDPM settings the family shipped with
   before DPM-Solver++ (prior 25, decoder 50, upsamplers 7 + 7).
6. Resident memory of every service after warm-up, and after --soak more images.

Run it on an otherwise idle machine: anything else running skews every ratio.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from graph_flops import flops_from_profile, write_matmul  # noqa: E402
from rest import generate, serving  # noqa: E402

BENCH_JAR = ROOT / "bench" / "cascade" / "target" / "bench-cascade-0.1.0-SNAPSHOT.jar"
CLASSPATH = f"{BENCH_JAR}:{ROOT / 'bench' / 'cascade' / 'target' / 'lib'}/*"
SERVICES = ["gateway", "text-encoder-svc", "prior-svc", "decoder-svc"]
STAGE_METRICS = {"text-encoder-svc": 8101, "prior-svc": 8102, "decoder-svc": 8103}
PREVIOUS_DEFAULTS = {"prior_steps": 25, "decoder_steps": 50, "sr_steps": 7,
                     "samplers": {"prior": "ddpm", "decoder": "ddpm", "sr_64": "ddpm", "sr_256": "ddpm"}}


def log(msg):
    print(f"bench: {msg}", flush=True)


def java(cls, *args):
    out = subprocess.run(["java", "-cp", CLASSPATH, f"org.unclip.bench.{cls}", *map(str, args)],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def settings(family_dir: Path, preset: str) -> dict:
    f = json.loads((family_dir / "family.json").read_text())
    preset = preset or f["default_preset"]

    def sampler(stage):
        return stage.get("samplers", {}).get(preset, stage.get("sampler", "ddpm"))

    ups = f["upsamplers"]
    sr_steps = {u["steps"][preset] for u in ups}
    if len(sr_steps) != 1:
        raise SystemExit(f"the reference runs one step count for every upsampler; the family has {sr_steps}")
    return {"preset": preset, "prior_steps": f["prior"]["steps"][preset],
            "prior_guidance": f["prior"]["guidance"]["default"],
            "decoder_steps": f["decoder"]["steps"][preset], "decoder_guidance": f["decoder"]["guidance"]["default"],
            "sr_steps": sr_steps.pop(), "upsamplers": [u["name"] for u in ups],
            "samplers": {"prior": sampler(f["prior"]), "decoder": sampler(f["decoder"]),
                         **{u["name"]: sampler(u) for u in ups}},
            "graphs": {"prior": f["prior"]["graph"], "decoder": f["decoder"]["graph"],
                       **{u["name"]: u["graph"] for u in ups}}}


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/q/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r'^unclip_stage_(call|step)_duration_seconds_(sum|count)\{([^}]*)\} (\S+)', line)
        if m and 'outcome="error"' not in m.group(3):
            out[(m.group(1), m.group(2))] = out.get((m.group(1), m.group(2)), 0.0) + float(m.group(4))
    return out


def cpu_ms(state: Path):
    """CPU milliseconds each service has used so far: {name: {"all": ms, "jit": ms}} (jit: its
    C1/C2 compiler threads), from /proc; None for a service whose pid is unknown."""
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    out = {}
    for name in SERVICES:
        try:
            pid = (state / "run" / f"{name}.pid").read_text().strip()
            total = jit = 0
            for task in Path(f"/proc/{pid}/task").iterdir():
                try:
                    fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                    comm = (task / "comm").read_text()
                except OSError:
                    continue  # the thread ended meanwhile
                ticks = int(fields[11]) + int(fields[12])  # utime + stime
                total += ticks
                if comm.startswith(("C1 CompilerThre", "C2 CompilerThre")):
                    jit += ticks
            out[name] = {"all": total * tick_ms, "jit": jit * tick_ms}
        except (OSError, ValueError):
            out[name] = None
    return out


def rss_mb(state: Path):
    out = {}
    for name in SERVICES:
        pid_file = state / "run" / f"{name}.pid"
        try:
            pid = pid_file.read_text().strip()
            with open(f"/proc/{pid}/status") as f:
                kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            out[name] = kb / 1024
        except (OSError, StopIteration, ValueError):
            out[name] = None
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--family-dir", default=str(ROOT / "models" / "shapes-tiny"))
    ap.add_argument("--preset", default=None, help="default: the family's default preset")
    ap.add_argument("--prompt", default="a large red circle in the center on a blue background")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--images", type=int, default=20, help="timed images through REST and in one JVM")
    ap.add_argument("--warmup", type=int, default=200,
                    help="untimed images through REST first (the services' JIT compilers settle after about 200)")
    ap.add_argument("--reference-images", type=int, default=5)
    ap.add_argument("--soak", type=int, default=1000, help="images between the two memory readings (0: skip)")
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args()

    family_dir = Path(args.family_dir)
    s = settings(family_dir, args.preset)
    log(f"preset {s['preset']}: prior {s['samplers']['prior']} {s['prior_steps']}, decoder "
        f"{s['samplers']['decoder']} {s['decoder_steps']} (guidance {s['decoder_guidance']}), upsamplers "
        f"{s['sr_steps']} each")
    if not BENCH_JAR.exists():
        log("building bench/cascade")
        subprocess.run(["mvn", "-B", "-q", "-DskipTests", "install", "-pl", "bench/cascade", "-am"], cwd=ROOT,
                       check=True)
    r = {"settings": s}
    work = Path(tempfile.mkdtemp(prefix="unclip-bench-"))

    # 1. peak
    log("peak: 2048² MatMul through ONNX Runtime")
    mm = work / "matmul.onnx"
    mm_flops = write_matmul(str(mm), 2048)
    peaks = {}
    for threads, side in ((1, 1), (2, 1), (1, 2)):
        j = json.loads(java("GraphBench", mm, 1, threads, side, 10)[-1])
        peaks[f"{threads}x{side}"] = mm_flops / (j["ms_per_call_wall"] / 1e3)
    peak = max(peaks.values())
    r["peak_flops"] = {"best": peak, **peaks}

    # 2. FLOPs per call and row, per graph
    log("counting FLOPs from the graphs")
    per_row = {}
    for loop, graph in s["graphs"].items():
        profile = java("GraphBench", family_dir / graph, 1, "profile", work / f"profile_{loop}")[-1]
        per_row[loop] = flops_from_profile(profile)["flops"]
    r["flops_per_row"] = per_row
    guided_rows = {"prior": 2 if s["prior_guidance"] > 1 else 1,
                   "decoder": 2 if s["decoder_guidance"] > 1 else 1}
    steps = {"prior": s["prior_steps"], "decoder": s["decoder_steps"], **{u: s["sr_steps"] for u in s["upsamplers"]}}
    image_flops = {k: per_row[k] * steps[k] * guided_rows.get(k, 1) for k in per_row}
    r["flops_per_image"] = image_flops

    # 3. one JVM
    log(f"the cascade in one JVM ({args.images} images)")
    jvm = json.loads(java("CascadeBench", family_dir, args.prompt, args.seed, args.images, s["preset"])[-1])
    r["jvm"] = jvm

    # 4. the mesh
    state = Path(os.environ.get("UNCLIP_STATE", ROOT / ".unclip"))
    started = False
    if not serving(args.url):
        log("starting the mesh (./unclip up)")
        subprocess.run([str(ROOT / "unclip"), "up"], check=True, stdout=subprocess.DEVNULL)
        started = True
    try:
        log(f"warming the mesh ({args.warmup} images)")
        for i in range(args.warmup):
            generate(args.url, args.prompt, 10_000 + i)
        before = {svc: metrics(port) for svc, port in STAGE_METRICS.items()}
        cpu_before = cpu_ms(state)
        log(f"the mesh through REST, concurrency 1 ({args.images} images)")
        times = [generate(args.url, args.prompt, args.seed + i) for i in range(args.images)]
        cpu_after = cpu_ms(state)
        after = {svc: metrics(port) for svc, port in STAGE_METRICS.items()}
        times.sort()
        stages = {}
        for svc in STAGE_METRICS:
            d = {k: after[svc].get(k, 0.0) - before[svc].get(k, 0.0) for k in after[svc]}
            stages[svc] = {"call_ms": 1e3 * d.get(("call", "sum"), 0.0) / args.images,
                           "steps": d.get(("step", "count"), 0.0) / args.images,
                           "step_ms": 1e3 * d.get(("step", "sum"), 0.0) / max(1.0, d.get(("step", "count"), 0.0))}
        cpu = {name: {k: (cpu_after[name][k] - cpu_before[name][k]) / args.images for k in ("all", "jit")}
               for name in SERVICES if cpu_before.get(name) and cpu_after.get(name)}
        r["mesh"] = {"s_per_image": sum(times) / len(times), "median_s": times[len(times) // 2],
                     "p95_s": times[min(len(times) - 1, int(0.95 * len(times)))], "stages": stages,
                     "cpu_ms_per_image": cpu}
        r["rss_mb_warm"] = rss_mb(state)
        if args.soak:
            log(f"memory soak: {args.soak} more images, one after another")
            t0 = time.perf_counter()
            for i in range(args.soak):
                generate(args.url, args.prompt, 20_000 + i)
            r["soak"] = {"images": args.soak, "s": time.perf_counter() - t0}
            r["rss_mb_after_soak"] = rss_mb(state)
    finally:
        if started:
            subprocess.run([str(ROOT / "unclip"), "down"], check=False, stdout=subprocess.DEVNULL)

    # 5. the reference
    def reference(extra):
        cfg = {**{k: s[k] for k in ("prior_steps", "prior_guidance", "decoder_steps", "decoder_guidance",
                                     "sr_steps", "samplers")}, **extra}
        out = subprocess.run(["/usr/bin/python3", str(ROOT / "bench" / "reference_timing.py"), "--prompt",
                              args.prompt, "--seed", str(args.seed), "--images", str(args.reference_images),
                              "--settings", json.dumps(cfg)], check=True, capture_output=True, text=True).stdout
        return json.loads(out.splitlines()[-1])

    log("the PyTorch reference, same settings")
    r["reference"] = reference({})
    log("the PyTorch reference, the DDPM settings the family shipped with before (25/50/7+7)")
    r["reference_previous_defaults"] = reference(PREVIOUS_DEFAULTS)

    report(r, args)
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))
    return 0


def report(r, args):
    s = r["settings"]
    mesh = r["mesh"]["s_per_image"]
    jvm = r["jvm"]["s_per_image"]
    ref = r["reference"]["s_per_image"]
    ref_prev = r["reference_previous_defaults"]["s_per_image"]
    peak = r["peak_flops"]["best"]
    print()
    print(f"one 256x256 image, preset {s['preset']} (prior {s['samplers']['prior']} {s['prior_steps']}, decoder "
          f"{s['samplers']['decoder']} {s['decoder_steps']}, upsamplers {s['sr_steps']}+{s['sr_steps']}), "
          f"prompt {args.prompt!r}")
    print(f"  mesh through REST, c=1            {mesh * 1e3:8.1f} ms/image  (median {r['mesh']['median_s'] * 1e3:.1f},"
          f" p95 {r['mesh']['p95_s'] * 1e3:.1f})")
    print(f"  one JVM, diffusion-core           {jvm * 1e3:8.1f} ms/image")
    print(f"  PyTorch reference, same settings  {ref * 1e3:8.1f} ms/image  ({r['reference']['threads']} threads, "
          f"BLAS {r['reference']['blas']})")
    print(f"  PyTorch reference, DDPM 25/50/7+7 {ref_prev * 1e3:8.1f} ms/image")
    print(f"  mesh ÷ reference (same settings)          {mesh / ref:6.3f}   (goal ≤ 0.25)")
    print(f"  mesh ÷ reference at DDPM 25/50/7+7        {mesh / ref_prev:6.3f}")
    print(f"  one JVM ÷ mesh                            {jvm / mesh:6.3f}   (goal ≥ 0.95)")
    print()
    print(f"  peak: 2048² MatMul through ONNX Runtime   {peak / 1e9:6.1f} GFLOP/s  ("
          + ", ".join(f"{k.replace('x', ' thread(s) × ')} side by side: {v / 1e9:.1f}"
                      for k, v in r["peak_flops"].items() if k != "best") + ")")
    print()
    print(f"  {'loop':<14} {'steps':>5} {'calls':>5} {'ms':>8} {'ms/step':>8} {'ONNX÷wall':>9} "
          f"{'GFLOP':>7} {'GFLOP/s':>8} {'÷ peak':>7}")
    loops = r["jvm"]["loops"]
    names = {"prior": "prior", "decoder": "decoder"}
    for i, u in enumerate(s["upsamplers"]):
        names[u] = f"upsampler-{i + 1}"
    for key in ["text_encoder", "prior", "text_proj", "decoder", *s["upsamplers"]]:
        loop = loops.get(names.get(key, key))
        if loop is None:
            continue
        wall = loop["wall_s"]
        lanes = max(1, loop["parts"])
        share = loop["onnx_s"] / (wall * lanes) if wall else 0.0
        flops = r["flops_per_image"].get(key)
        gf = f"{flops / 1e9:7.2f} {flops / wall / 1e9:8.1f} {flops / wall / peak:7.2f}" if flops else ""
        print(f"  {key:<14} {loop['steps']:>5} {loop['calls']:>5} {wall * 1e3:8.1f} "
              f"{wall * 1e3 / max(1, loop['steps']):8.2f} {share:9.2f} {gf}")
    print("  (ONNX÷wall: time inside ONNX Runtime ÷ (wall × calls run side by side))")
    print()
    print("  mesh stages (from /q/metrics):  " + ", ".join(
        f"{svc} {st['call_ms']:.1f} ms/call ({st['steps']:.0f} steps, {st['step_ms']:.2f} ms/step)"
        for svc, st in r["mesh"]["stages"].items()))
    cpu = r["mesh"].get("cpu_ms_per_image", {})
    if cpu:
        print("  mesh CPU per image (ms; of it the JIT compiler's):  " + ", ".join(
            f"{name} {c['all']:.0f} ({c['jit']:.0f})" for name, c in cpu.items()))
    warm = r["rss_mb_warm"]
    line = "  resident memory after warm-up: " + ", ".join(
        f"{k} {v:.0f} MB" if v else f"{k} ?" for k, v in warm.items())
    print(line)
    if "rss_mb_after_soak" in r:
        soak = r["rss_mb_after_soak"]
        print(f"  after {r['soak']['images']} more images ({r['soak']['images'] / r['soak']['s']:.2f} images/s): " + ", ".join(
            f"{k} {soak[k]:.0f} MB ({soak[k] - warm[k]:+.0f})" if soak.get(k) and warm.get(k) else f"{k} ?"
            for k in soak))


if __name__ == "__main__":
    sys.exit(main())

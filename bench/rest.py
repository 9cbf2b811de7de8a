"""The REST calls the benchmarks make: is the mesh serving, and one timed image request."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request


def serving(base: str) -> bool:
    """Whether the gateway at `base` answers its readiness check."""
    try:
        with urllib.request.urlopen(base + "/q/health/ready", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def generate(base: str, prompt: str, seed: int, size: str = "256x256") -> float:
    """POST /v1/images/generations for one image; -> seconds until the whole answer was read."""
    body = json.dumps({"prompt": prompt, "n": 1, "size": size, "seed": seed,
                       "response_format": "b64_json"}).encode()
    request = urllib.request.Request(base + "/v1/images/generations", data=body,
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        payload = json.load(response)
    if len(payload.get("data", [])) != 1:
        raise RuntimeError(f"unexpected answer: {str(payload)[:200]}")
    return time.perf_counter() - start

#!/usr/bin/env python3
"""Speed of ``regstep --steps`` on data: normcli's iteration against a hand-written numpy loop.

    python benchmarks/regstep.py [--quick]

X is 10^6 x 20 (10^5 x 20 with ``--quick``), standard normal, seeded, and
y = X w* + noise, both generated in memory. Both sides run 100 gradient
steps with an L2 penalty (lambda = 0.01, half convention) from w = 0:

* normcli: ``normcli.core.regularize.iterate(..., data=(X, y))``, which also
  computes the loss of every iterate, checks for divergence and keeps the
  trajectory;
* numpy: ``r = X@w + b - y; g = X.T@r/n; w = w - lr*(g + l2*w)``.

Run side by side in one process (alternating), best of 5 each; target:
normcli / numpy <= 1.2. The final weights of the two must agree.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import Row, print_suite, progress  # noqa: E402

TARGET = 1.2
STEPS = 100
LR = 0.1
L2 = 0.01
D = 20


def make_data(n: int, d: int = D, seed: int = 12345):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    y = X @ w_true + 0.1 * rng.standard_normal(n)
    return X, y


def numpy_loop(X, y, steps: int = STEPS, lr: float = LR, l2: float = L2):
    import numpy as np

    n = X.shape[0]
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        r = X @ w - y  # no intercept, as the normcli side
        g = X.T @ r / n
        w = w - lr * (g + l2 * w)
    return w


def normcli_iterate(X, y, steps: int = STEPS, lr: float = LR, l2: float = L2):
    import numpy as np

    from normcli.core.regularize import Penalty, iterate

    return iterate(np.zeros(X.shape[1]), lr, Penalty(l2=l2), steps, data=(X, y)).w


def _best(fn, X, y, reps: int) -> tuple[float, object]:
    times = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn(X, y)
        times.append(time.perf_counter() - t0)
    return min(times), out


def run(quick: bool = False) -> list[Row]:
    import numpy as np

    n = 10**5 if quick else 10**6
    reps = 5
    progress(f"regstep: generating X ({n} x {D}) and y")
    X, y = make_data(n)
    # Warm up both (BLAS threads, page faults), then alternate so drift hits both alike.
    numpy_loop(X, y, steps=2)
    normcli_iterate(X, y, steps=2)
    progress(f"regstep: {STEPS} steps, best of {reps}, alternating")
    t_np, t_nc = [], []
    w_np = w_nc = None
    for _ in range(reps):
        t, w_np = _best(numpy_loop, X, y, 1)
        t_np.append(t)
        t, w_nc = _best(normcli_iterate, X, y, 1)
        t_nc.append(t)
    best_np, best_nc = min(t_np), min(t_nc)
    ratio = best_nc / best_np
    agree = float(np.max(np.abs(w_nc - w_np)))
    what = f"{STEPS} steps, X {n}x{D}, --l2 {L2}, --lr {LR}"
    return [
        Row("regstep", f"iterate(data=(X, y)): {what}", best_nc, ratio=f"{ratio:.2f}",
            check=f"normcli/numpy <= {TARGET}: {'PASS' if ratio <= TARGET else 'FAIL'} "
                  f"(max |w diff| {agree:.1e})"),
        Row("regstep", "numpy loop: r = X@w - y; g = X.T@r/n; w = w - lr*(g + l2*w)", best_np,
            ratio="1.00", check="baseline"),
    ]


def main(argv: list[str] | None = None) -> None:
    print_suite(run, argv, legend="Times are the best of 5 alternating runs (in the 'Median s' column); "
                                  "ratio = normcli time / numpy loop time.")


if __name__ == "__main__":
    main()

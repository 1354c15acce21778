"""Error metrics, ranking and paired tests for comparing models by their errors.

The errors of k models on the same n observations form an (n, k) array
``E`` (prediction minus truth). The metrics follow scikit-learn's
regression metrics; the tests compare each model with a reference model
(the best one, or one the user names) on a per-observation loss
(|e|, e^2 or |e|/|y|), paired by observation:

- the mean loss difference with a paired bootstrap confidence interval,
- the Diebold-Mariano test with the Harvey-Leybourne-Newbold correction
  (for horizon 1 it is exactly the paired t-test),
- the Wilcoxon signed-rank test (exact for small n),
- Holm's step-down adjustment when several models are compared with the
  reference.

The distributions come from :mod:`normcli.core.distributions`, not scipy:
importing scipy would cost more than the whole command (see there); the
tests check them against scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .distributions import normal_ppf, signed_rank_test, t_sf
from .errors import CoreError
from .norms import norm, power_mean, power_sum, scaled
from .precision import EXT
from .result import Result

#: Metric names as shown, in their default order.
METRICS = ("L1", "L2", "MAE", "MSE", "RMSE", "max|e|", "median|e|", "bias", "R^2", "MAPE")
#: Metrics that need the truth (``--truth``).
TRUTH_METRICS = ("R^2", "MAPE")
#: Lower is better except for these.
HIGHER_IS_BETTER = ("R^2",)
#: Loss per observation for the paired tests.
LOSSES = ("absolute", "squared", "percentage")

_ALIASES = {
    "l1": "L1", "l2": "L2", "mae": "MAE", "mse": "MSE", "rmse": "RMSE",
    "max": "max|e|", "max|e|": "max|e|", "maxerror": "max|e|", "max_error": "max|e|",
    "median": "median|e|", "median|e|": "median|e|", "medae": "median|e|",
    "bias": "bias", "me": "bias", "mean": "bias",
    "r2": "R^2", "r^2": "R^2", "mape": "MAPE",
}
_DEFAULT_LOSS = {"L1": "absolute", "MAE": "absolute", "max|e|": "absolute", "median|e|": "absolute",
                 "bias": "absolute", "L2": "squared", "MSE": "squared", "RMSE": "squared", "R^2": "squared",
                 "MAPE": "percentage"}
# Ranking metrics that are not a monotone function of the mean of any
# per-observation loss: the tests (on mean losses) answer another question.
_NO_MEAN_LOSS = {"max|e|": "the largest |e|", "median|e|": "the median |e|",
                 "bias": "the size of the mean signed error"}

#: Up to this many observations the bootstrap resamples (B = DEFAULT_BOOTSTRAP);
#: above it, by default, the large-sample bootstrap interval is used.
RESAMPLE_LIMIT = 10_000
DEFAULT_BOOTSTRAP = 2000


def metric_name(text: str) -> str:
    """The canonical name of a metric, from any accepted spelling.

    >>> metric_name("rmse"), metric_name("Max"), metric_name("r2")
    ('RMSE', 'max|e|', 'R^2')
    """
    key = text.strip().lower().replace(" ", "")
    if key in _ALIASES:
        return _ALIASES[key]
    raise CoreError(f"unknown metric {text!r}; choose from {', '.join(METRICS)} "
                     "(or l1 l2 mae mse rmse max median bias r2 mape)")


def default_loss(sort_by: str) -> str:
    """The per-observation loss that matches a ranking metric (squared for MSE/RMSE/L2/R^2)."""
    return _DEFAULT_LOSS[sort_by]


def _mean(x: np.ndarray) -> float:
    """Mean in extended precision (rounded once), for signed values."""
    return float(np.sum(x, dtype=EXT) / x.size) if x.size else math.nan


_CHUNK = 1 << 20


def _moments(x: np.ndarray, mean: float, orders=(2,)) -> list[float]:
    """Central moments (1/n) sum (x - mean)^k for k in ``orders``, in chunks: no copies of x."""
    n = x.size
    sums = [0.0] * len(orders)
    for start in range(0, n, _CHUNK):
        c = x[start:start + _CHUNK] - mean
        c2 = c * c
        for i, k in enumerate(orders):
            sums[i] += float(c2.sum()) if k == 2 else float(np.dot(c2, c)) if k == 3 else float(np.dot(c2, c2))
    return [v / n for v in sums]


def metrics(e, truth=None, names: Sequence[str] | None = None) -> dict[str, float]:
    """Regression metrics of one error vector ``e`` (prediction - truth).

    Parameters
    ----------
    e : array_like, 1-D
        Errors, prediction minus truth.
    truth : array_like, optional
        The true values; needed for R^2 and MAPE.
    names : sequence of str, optional
        Which metrics (canonical names, see :data:`METRICS`); default all
        that the inputs allow.

    Returns
    -------
    dict
        Metric name -> value.

    Notes
    -----
    As scikit-learn: L1 = sum |e|, L2 = ||e||_2, MAE, MSE, RMSE = sqrt(MSE),
    max|e| (``max_error``), median|e| (``median_absolute_error``); bias is
    the mean error (positive: predictions too high); R^2 = 1 - SS_res /
    SS_tot (``r2_score(force_finite=False)``: nan when the truth is constant
    and predicted exactly or n < 2, -inf when constant and not); MAPE is a fraction,
    mean |e| / max(eps, |y|) (``mean_absolute_percentage_error``: 0.1 is
    10 %). The sums are overflow-safe and accurate to about an ulp (the
    accumulators of :mod:`normcli.core.norms`).

    Examples
    --------
    >>> m = metrics([-5.0, 8, -3, -12, 4, 4, 6])
    >>> m["MAE"], m["MSE"], m["bias"], m["max|e|"], m["median|e|"]
    (6.0, 44.285714285714285, 0.2857142857142857, 12.0, 5.0)
    """
    e = np.asarray(e, dtype=np.float64)
    if names is None:
        names = METRICS if truth is not None else [m for m in METRICS if m not in TRUTH_METRICS]
    out: dict[str, float] = {}
    a = np.abs(e)
    for name in names:
        if name == "L1":
            out[name] = power_sum(e, 1.0)
        elif name == "L2":
            out[name] = norm(e, 2.0)
        elif name == "MAE":
            out[name] = power_mean(e, 1.0)
        elif name == "MSE":
            out[name] = power_sum(e, 2.0) / e.size
        elif name == "RMSE":
            out[name] = power_mean(e, 2.0)  # sqrt(mean e^2) without overflow
        elif name == "max|e|":
            out[name] = float(a.max())
        elif name == "median|e|":
            peak = float(a.max()) if a.size else 0.0
            sc = math.ldexp(1.0, math.frexp(peak)[1] - 1) if 0 < peak < math.inf else 1.0
            # np.median averages the middle two (1e308 + 1e308 would overflow): on a scaled copy it may reorder
            out[name] = _median(a / sc) * sc
        elif name == "bias":
            out[name] = _mean(e)
        elif name in TRUTH_METRICS:
            if truth is None:
                raise CoreError(f"{name} needs the true values (--truth)")
            y = np.asarray(truth, dtype=np.float64)
            if name == "MAPE":
                out[name] = _mean(a / np.maximum(np.abs(y), np.finfo(np.float64).eps))
            else:
                out[name] = _r2(e, y)
        else:
            raise CoreError(f"unknown metric {name!r}")
    return out


def _median(x: np.ndarray) -> float:
    """The median of a 1-D array, reordering it (np.median would import numpy.ma, 20 ms, for its nan check)."""
    n = x.size
    if n == 0:
        return math.nan
    if np.isnan(x).any():
        return math.nan
    k = n // 2
    if n % 2:
        x.partition(k)
        return float(x[k])
    x.partition([k - 1, k])
    return (float(x[k - 1]) + float(x[k])) / 2


def _r2(e: np.ndarray, y: np.ndarray) -> float:
    if e.size < 2:
        return math.nan  # as scikit-learn: not defined for fewer than two samples
    spread = norm(y - _mean(y), 2.0)
    residual = norm(e, 2.0)
    if spread == 0:
        return math.nan if residual == 0 else -math.inf
    return float(1 - (residual / spread) ** 2)


def rank(values: Sequence[float], metric: str) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) of models by one metric; nan gets no rank.

    Lower is better except for R^2; bias is ranked by its size |bias|.

    >>> rank([3.0, 1.0, 3.0, 2.0], "MAE")
    [3, 1, 3, 2]
    >>> rank([0.5, 0.9, float("nan")], "R^2")
    [2, 1, None]
    """
    keys = [_rank_key(v, metric) for v in values]
    ranks: list[int | None] = []
    for k in keys:
        ranks.append(None if math.isnan(k) else 1 + sum(1 for o in keys if not math.isnan(o) and o < k))
    return ranks


def _rank_key(value: float, metric: str) -> float:
    if metric in HIGHER_IS_BETTER:
        return -value
    if metric == "bias":
        return abs(value)
    return value


def losses(errors: np.ndarray, loss: str, truth=None) -> np.ndarray:
    """Per-observation losses: |e|, e^2, or |e| / max(eps, |y|) (``percentage``)."""
    if loss == "absolute":
        return np.abs(errors)
    if loss == "squared":
        return np.square(errors)
    if loss == "percentage":
        if truth is None:
            raise CoreError("the percentage loss needs the true values (--truth)")
        y = np.asarray(truth, dtype=np.float64).reshape(-1, *([1] * (np.ndim(errors) - 1)))
        return np.abs(errors) / np.maximum(np.abs(y), np.finfo(np.float64).eps)
    raise CoreError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")


# --------------------------------------------------------------------------
# Paired tests on a loss difference d (model minus reference)
# --------------------------------------------------------------------------
@dataclass
class PairedTest:
    """A test statistic and its two-sided p-value; ``None`` when undefined (``why`` says why)."""

    statistic: float | None
    p: float | None
    method: str = ""
    why: str = ""


def diebold_mariano(d, horizon: int = 1) -> PairedTest:
    """Diebold-Mariano test of E[d] = 0 with the Harvey-Leybourne-Newbold correction.

    Parameters
    ----------
    d : array_like, 1-D
        Loss differences, one per observation (in time order when
        ``horizon`` > 1).
    horizon : int
        Forecast horizon h: the long-run variance uses the autocovariances
        up to lag h - 1.

    Returns
    -------
    PairedTest
        The HLN-corrected statistic, compared with Student's t with n - 1
        degrees of freedom (two-sided).

    Notes
    -----
    DM = mean(d) / sqrt((gamma_0 + 2 sum_{k<h} gamma_k) / n) with
    gamma_k = (1/n) sum (d_t - dbar)(d_{t-k} - dbar); HLN multiplies it by
    sqrt((n + 1 - 2h + h(h - 1)/n) / n). For h = 1 this is exactly the
    paired t statistic (scipy.stats.ttest_rel).

    Examples
    --------
    >>> a = np.array([-5.0, 8, -3, -12, 4, 4, 6]); b = np.array([10.0, -7, 12, -18, -6, -8, 13])
    >>> r = diebold_mariano(a**2 - b**2)
    >>> round(r.statistic, 10), round(r.p, 10)
    (-3.1063364634, 0.0209464611)
    """
    d = np.asarray(d, dtype=np.float64)
    n = d.size
    if horizon < 1:
        raise CoreError(f"the horizon must be at least 1, not {horizon}")
    if n < 2:
        return PairedTest(None, None, "DM-HLN", f"needs at least 2 observations (n = {n})")
    if horizon >= n:
        return PairedTest(None, None, "DM-HLN",
                          f"the horizon {horizon} needs more than {horizon} observations (n = {n})")
    if not np.any(d):
        return PairedTest(None, None, "DM-HLN", "the losses are identical")
    d, _ = scaled(d)  # the statistic does not depend on the scale; the sums then cannot over- or underflow
    dbar = _mean(d)
    (gamma0,) = _moments(d, dbar)
    if gamma0 == 0 or not np.any(d != dbar):
        return PairedTest(None, None, "DM-HLN", "the loss difference is the same for every observation "
                          "(its variance is 0)")
    lrv = gamma0
    if horizon > 1:
        c = d - dbar
        lrv += 2 * sum(float(np.dot(c[k:], c[:-k])) / n for k in range(1, horizon))
    if not lrv > 0:
        return PairedTest(None, None, "DM-HLN", "the autocovariance estimate of the variance is not positive")
    dm = dbar / math.sqrt(lrv / n)
    hln = dm * math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    p = min(1.0, 2 * t_sf(abs(hln), n - 1))
    return PairedTest(hln, p, "DM-HLN")


def wilcoxon(d) -> PairedTest:
    """Wilcoxon signed-rank test of d symmetric about 0 (zeros discarded), as ``scipy.stats.wilcoxon``.

    The p-value is exact (the null distribution enumerated) for up to 50
    non-zero differences without ties, an exhaustive permutation test for up
    to 13 with ties, and the normal approximation (with tie correction)
    otherwise; ``method`` says which. See
    :func:`normcli.core.distributions.signed_rank_test`.

    Examples
    --------
    >>> a = np.array([-5.0, 8, -3, -12, 4, 4, 6]); b = np.array([10.0, -7, 12, -18, -6, -8, 13])
    >>> r = wilcoxon(a**2 - b**2)
    >>> r.statistic, r.p, r.method
    (1.0, 0.03125, 'exact')
    """
    d = np.asarray(d, dtype=np.float64)
    if d.size < 2:
        return PairedTest(None, None, "", f"needs at least 2 observations (n = {d.size})")
    nonzero = d[d != 0]
    if nonzero.size == 0:
        return PairedTest(None, None, "", "every difference is zero")
    statistic, p, method = signed_rank_test(nonzero)
    return PairedTest(statistic, p, method)


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (undefined ones stay ``None``).

    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    m = len(idx)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for j, i in enumerate(sorted(idx, key=lambda i: pvalues[i])):
        running = max(running, min(1.0, (m - j) * pvalues[i]))
        out[i] = running
    return out


# --------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------
@dataclass
class Interval:
    """A confidence interval; ``low``/``high`` are None when it is undefined (``method`` says why)."""

    low: float | None
    high: float | None
    method: str


#: Resampling budget (index draws per comparison) when heavy tails force resampling at large n.
RESAMPLE_BUDGET = 40_000_000
#: Above these, the large-sample interval is not trusted: the bootstrap distribution of the mean is
#: too skewed (|g|) or too heavy-tailed (excess kurtosis of the mean) for a three-cumulant expansion.
HEAVY_SKEW = 0.1
HEAVY_KURTOSIS = 0.1


def bootstrap_intervals(d: np.ndarray, confidence: float = 0.95, replicates: int | None = None,
                        seed: int | None = 0, block: int = 1) -> list[Interval]:
    """Paired bootstrap confidence intervals for the mean of each column of ``d``.

    Parameters
    ----------
    d : ndarray, (n, m)
        Loss differences, one column per comparison; rows are observations
        and are resampled together, so the comparisons stay paired.
    confidence : float
        Coverage, e.g. 0.95.
    replicates : int, optional
        B, the number of resamples. By default 2000 when n <= 10,000 and
        the large-sample interval otherwise; given explicitly, the bootstrap
        always resamples.
    seed : int or None
        Seed of the resampling (numpy's default generator); the same seed
        gives the same interval.
    block : int
        Block length: 1 resamples single observations; h > 1 resamples
        moving blocks of h consecutive observations (for h-step forecasts,
        whose loss differences are autocorrelated up to lag h - 1).

    Notes
    -----
    Resampling gives the percentile interval. For large n the percentile
    interval of a mean is determined by the bootstrap distribution's first
    cumulants up to O(1/n), and those are known exactly (mean dbar,
    variance m2/n, third cumulant m3/n^2, with m_k the central moments of
    d), so the large-sample interval is the Cornish-Fisher quantile
    dbar + sqrt(m2/n) (z + g (z^2 - 1) / 6), g = m3 / (m2^1.5 sqrt(n)):
    no Monte Carlo error, O(n) time (at n = 10^6 resampling with B = 2000
    takes about a minute here). The neglected O(1/n) terms grow with the
    tails of d; when the skewness g or the excess kurtosis of the mean
    (m4/m2^2 - 3)/n exceeds 0.1 (one huge difference dominating the mean),
    the interval is resampled instead, with B reduced if needed to keep n*B
    near 4e7. With ``block`` > 1 the large-sample interval is the normal
    one with the long-run variance of the Diebold-Mariano test.
    Differences are scaled by a power of two before any sum, so values near
    the float64 limits or far below 1 give the same interval as moderate
    ones (to rounding).
    """
    d = np.asarray(d, dtype=np.float64)
    if d.ndim == 1:
        d = d[:, None]
    n, m = d.shape
    alpha = 1 - confidence
    if n < 2:
        return [Interval(None, None, f"undefined: needs at least 2 observations (n = {n})")] * m
    out: list[Interval | None] = [None] * m
    resample: list[int] = []
    heavy = False
    for j in range(m):
        col, sc = scaled(np.ascontiguousarray(d[:, j]))
        if replicates is None and n > RESAMPLE_LIMIT:
            interval = _large_sample(col, sc, alpha, block)
            if interval is not None:
                out[j] = interval
                continue
            heavy = True
        resample.append(j)
    if resample:
        b = DEFAULT_BOOTSTRAP if replicates is None else replicates
        note = ""
        if heavy and replicates is None and n * b > RESAMPLE_BUDGET:
            b = max(200, RESAMPLE_BUDGET // n)
            note = " (fewer than 2000 to bound the time; --bootstrap B for more)"
        why = ("resampled because the differences are too heavy-tailed for the large-sample interval; "
               if heavy else "")
        for j, interval in zip(resample, _resample(d[:, resample], alpha, b, seed, block)):
            out[j] = Interval(interval.low, interval.high, why + interval.method + note)
    return out


def _resample(d: np.ndarray, alpha: float, b: int, seed, block: int) -> list[Interval]:
    """Percentile intervals from b paired resamples (moving blocks of ``block`` rows)."""
    if b < 1:
        raise CoreError(f"the bootstrap needs at least 1 replicate, not {b}")
    n, m = d.shape
    if block > n:
        return [Interval(None, None, f"undefined: blocks of {block} need at least {block} observations (n = {n})")] * m
    rng = np.random.default_rng(seed)
    cols, scales = zip(*(scaled(np.ascontiguousarray(d[:, j])) for j in range(m)))
    means = np.empty((b, m))
    batch = max(1, (1 << 20) // n)
    nblocks = -(-n // block)
    done = 0
    while done < b:
        k = min(batch, b - done)
        if block == 1:
            idx = rng.integers(0, n, size=(k, n))
        else:  # moving blocks: starts uniform over the n - h + 1 full blocks, cut to n rows
            starts = rng.integers(0, n - block + 1, size=(k, nblocks))
            idx = (starts[:, :, None] + np.arange(block)).reshape(k, -1)[:, :n]
        for j, col in enumerate(cols):
            means[done:done + k, j] = col[idx].mean(axis=1)
        done += k
    kind = "paired bootstrap" if block == 1 else f"paired moving-block bootstrap (blocks of {block})"
    method = f"{kind}, percentile, B = {b}"
    if b < fewest_replicates(alpha):  # the interval's ends would be the extreme replicates, or beyond them
        why = (f"undefined: {method} cannot resolve a {_percent(1 - alpha)} interval "
               f"(B >= {fewest_replicates(alpha)} needed)")
        return [Interval(None, None, why)] * m
    lo, hi = _quantiles(means, (alpha / 2, 1 - alpha / 2))
    return [Interval(float(lo[j]) * scales[j], float(hi[j]) * scales[j], method) for j in range(m)]


def _quantiles(x: np.ndarray, qs) -> list[np.ndarray]:
    """Quantiles along axis 0, numpy's default ("linear") method, without np.quantile (it imports numpy.ma)."""
    x = np.sort(x, axis=0)
    n = x.shape[0]
    out = []
    for q in qs:
        h = (n - 1) * q
        lo = int(math.floor(h))
        hi = min(lo + 1, n - 1)
        t = h - lo
        a, b = x[lo], x[hi]
        diff = b - a
        out.append(b - diff * (1 - t) if t >= 0.5 else a + diff * t)  # numpy's _lerp
    return out


def _large_sample(c0: np.ndarray, scale: float, alpha: float, block: int) -> Interval | None:
    """The exact-cumulant (Cornish-Fisher) interval of a scaled column, or None when its tails are too heavy."""
    n = c0.size
    dbar = _mean(c0)
    m2, m3, m4 = _moments(c0, dbar, (2, 3, 4))
    if m2 != 0 and block > 1:
        zs = (normal_ppf(alpha / 2), normal_ppf(1 - alpha / 2))
        c = c0 - dbar
        lrv = m2 + 2 * sum(float(np.dot(c[k:], c[:-k])) / n for k in range(1, block))
        if not lrv > 0:
            return None
        se = math.sqrt(lrv / n)
        return Interval((dbar + se * zs[0]) * scale, (dbar + se * zs[1]) * scale,
                        f"large-sample interval (n = {n} > {RESAMPLE_LIMIT}): normal, with the long-run variance "
                        f"of the DM test (autocovariances up to lag {block - 1})")
    return large_sample_interval(n, dbar, m2, m3, m4, scale, alpha)


def large_sample_interval(n: int, dbar: float, m2: float, m3: float, m4: float, scale: float,
                          alpha: float) -> Interval | None:
    """The Cornish-Fisher interval from the mean and central moments m_k = (1/n) sum (d - dbar)^k of d / scale,
    or None when the tails are too heavy for it (see :func:`bootstrap_intervals`)."""
    zs = (normal_ppf(alpha / 2), normal_ppf(1 - alpha / 2))
    if m2 == 0:
        return Interval(dbar * scale, dbar * scale, "the differences are constant: a zero-width interval")
    g = m3 / (m2 ** 1.5 * math.sqrt(n))
    kurt = (m4 / (m2 * m2) - 3) / n
    if abs(g) > HEAVY_SKEW or kurt > HEAVY_KURTOSIS:
        return None
    se = math.sqrt(m2 / n)
    low, high = (dbar + se * (z + g * (z * z - 1) / 6) for z in zs)
    return Interval(low * scale, high * scale,
                    f"large-sample bootstrap (n = {n} > {RESAMPLE_LIMIT}): percentile interval from the exact "
                    f"bootstrap cumulants")


# --------------------------------------------------------------------------
# The whole comparison
# --------------------------------------------------------------------------
@dataclass
class Pair:
    model: str
    reference: str
    mean_diff: float
    interval: Interval | None
    dm: PairedTest
    wilcoxon: PairedTest
    dm_holm: float | None = None
    wilcoxon_holm: float | None = None
    verdict: str = ""
    sentence: str = ""


@dataclass
class Comparison:
    names: list[str]
    n: int
    shown: list[str]
    values: dict[str, dict[str, float]]
    sort_by: str
    ranks: list[int | None]
    reference: str | None = None
    loss: str = ""
    confidence: float = 0.95
    horizon: int = 1
    pairs: list[Pair] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def compare(names: Sequence[str], errors, truth=None, *, shown: Sequence[str] | None = None, sort_by: str = "MAE",
            baseline: str | None = None, loss: str | None = None, confidence: float = 0.95,
            replicates: int | None = None, seed: int | None = 0, horizon: int = 1) -> Comparison:
    """Metrics, ranking and paired tests of k models from their errors.

    Parameters
    ----------
    names : sequence of str
        Model names, one per column of ``errors``.
    errors : array_like, (n, k)
        Prediction minus truth, one column per model, rows paired.
    truth : array_like, optional
        The true values (enables R^2, MAPE and the percentage loss).
    shown : sequence of str, optional
        Metrics to report (default: all available); ``sort_by`` is always
        computed.
    sort_by : str
        The ranking metric.
    baseline : str, optional
        The reference model for the tests (default: the best ranked).
    loss : str, optional
        ``absolute``, ``squared`` or ``percentage``; default matches
        ``sort_by``.
    confidence, replicates, seed :
        See :func:`bootstrap_intervals`; significance is judged at
        1 - confidence.
    horizon : int
        Diebold-Mariano horizon.

    Examples
    --------
    >>> c = compare(["A", "B"], np.array([[-5.0, 8, -3, -12, 4, 4, 6], [10.0, -7, 12, -18, -6, -8, 13]]).T,
    ...             sort_by="MSE")
    >>> c.ranks, c.reference, c.pairs[0].verdict
    ([1, 2], 'A', 'worse')
    """
    e = np.asarray(errors, dtype=np.float64)
    if e.ndim != 2:
        raise CoreError("the errors must be an (n, k) array, one column per model")
    n, k = e.shape
    if n == 0:
        raise CoreError("no observations to compare")
    names = list(names)
    if len(set(names)) != len(names):
        dup = sorted({x for x in names if names.count(x) > 1})
        raise CoreError(f"model names must be unique; repeated: {', '.join(dup)}")
    if not 0 < confidence < 1:
        raise CoreError(f"the confidence must lie strictly between 0 and 1, not {confidence}")
    available = [m for m in METRICS if truth is not None or m not in TRUTH_METRICS]
    for m in [*(shown or ()), sort_by]:
        if m not in available:
            raise CoreError(f"{m} needs the true values (--truth)" if m in TRUTH_METRICS else f"unknown metric {m!r}")
    shown = list(shown) if shown else available
    wanted = shown if sort_by in shown else [*shown, sort_by]
    values = {name: metrics(e[:, j], truth, wanted) for j, name in enumerate(names)}
    ranks = rank([values[name][sort_by] for name in names], sort_by)
    beyond = [f"{m} of {name}" for j, name in enumerate(names) if np.isfinite(e[:, j]).all()
              for m, v in values[name].items() if math.isinf(v) and m != "R^2"]
    loss = loss or default_loss(sort_by)
    if loss == "percentage" and truth is None:
        raise CoreError("the percentage loss needs the true values (--truth)")
    result = Comparison(names, n, shown, values, sort_by, ranks, loss=loss, confidence=confidence, horizon=horizon)
    if beyond:
        result.warnings.append(f"beyond the float64 range (printed as inf): {', '.join(beyond)}")
    if k == 1:
        result.notes.append("one model: metrics only (the tests need two or more)")
        return result
    ref = reference(result, baseline)
    if ref is None:
        return result
    others = [j for j in range(k) if j != ref]
    # One column of losses at a time (10^7 observations: 80 MB each), the differences column-major.
    ref_loss = losses(e[:, ref], loss, truth)
    diffs = np.empty((n, len(others)), order="F")
    nan_loss = [bool(np.isnan(ref_loss).any())] * len(others)
    with np.errstate(over="ignore", invalid="ignore"):
        for col, j in enumerate(others):
            model_loss = losses(e[:, j], loss, truth)
            nan_loss[col] = nan_loss[col] or bool(np.isnan(model_loss).any())
            np.subtract(model_loss, ref_loss, out=diffs[:, col])
            del model_loss
    del ref_loss
    finite = np.isfinite(diffs).all(axis=0)  # decided per pair: one model's nan leaves the others tested
    good = [col for col in range(len(others)) if finite[col]]
    intervals: list[Interval | None] = [None] * len(others)
    if good:
        chosen = diffs if len(good) == len(others) else diffs[:, good]
        for col, interval in zip(good, bootstrap_intervals(chosen, confidence, replicates, seed, horizon)):
            intervals[col] = interval
    for col, j in enumerate(others):
        d = diffs[:, col]
        if finite[col]:
            dm, wx = diebold_mariano(d, horizon), wilcoxon(d)
        else:
            why = ("a loss is missing (nan)" if nan_loss[col] else
                   "a loss or a loss difference is beyond the float64 range")
            dm = wx = PairedTest(None, None, "", why)
        result.pairs.append(Pair(names[j], names[ref], _mean(d), intervals[col], dm, wx))
    return judged(result)


def reference(result: Comparison, baseline: str | None) -> int | None:
    """The index of the model the others are tested against (set as ``result.reference``); None, with a
    note, when no model has a finite ranking metric."""
    names, ranks = result.names, result.ranks
    if baseline is not None:
        if baseline not in names:
            raise CoreError(f"--baseline {baseline!r} is not one of the models ({', '.join(names)})")
        ref = names.index(baseline)
    else:
        ranked = [j for j in range(len(names)) if ranks[j] is not None]
        if not ranked:
            result.notes.append(f"no model has a finite {result.sort_by}: no tests")
            return None
        ref = min(ranked, key=lambda j: (ranks[j], j))
    result.reference = names[ref]
    return ref


def judged(result: Comparison) -> Comparison:
    """The pairs' Holm-adjusted p-values (more than one pair) and their verdicts."""
    if len(result.pairs) > 1:
        for attr, src in (("dm_holm", "dm"), ("wilcoxon_holm", "wilcoxon")):
            adjusted = holm([getattr(p, src).p for p in result.pairs])
            for p, a in zip(result.pairs, adjusted):
                setattr(p, attr, a)
    for p in result.pairs:
        p.verdict, p.sentence = _verdict(p, 1 - result.confidence, len(result.pairs) > 1)
    return result


def loss_mismatch(sort_by: str, loss: str) -> str | None:
    """Why the tests' loss does not test the ranking metric, or None when it does.

    >>> loss_mismatch("MAE", "absolute") is None, loss_mismatch("RMSE", "squared") is None
    (True, True)
    >>> loss_mismatch("median|e|", "absolute")  # doctest: +NORMALIZE_WHITESPACE
    'the tests compare mean absolute losses (|e|); the ranking by median|e| (the median |e|) is not a mean of any loss,
    so the verdict can disagree with the ranking'
    """
    if sort_by in _NO_MEAN_LOSS:
        return (f"the tests compare mean {loss} losses ({_LOSS_TEXT[loss]}); the ranking by {sort_by} "
                f"({_NO_MEAN_LOSS[sort_by]}) is not a mean of any loss, so the verdict can disagree with the ranking")
    if loss != _DEFAULT_LOSS[sort_by]:
        return (f"the tests compare mean {loss} losses ({_LOSS_TEXT[loss]}, --loss); the ranking by {sort_by} "
                f"matches the {_DEFAULT_LOSS[sort_by]} loss, so the verdict can disagree with the ranking")
    return None


#: Column names that usually hold the true values, not a model's errors.
TRUTH_NAMES = frozenset({"y", "truth", "true", "y_true", "ytrue", "target", "label", "actual", "observed",
                         "ground_truth", "groundtruth", "gt", "y_test", "expected"})
_INDEX_NAMES = frozenset({"id", "index", "idx", "row", "rowid", "row_id", "#"})


def _index_like(name: str, facts) -> str | None:
    """Why a column (its :class:`~normcli.core.moments.ColumnFacts`) looks like a row index rather than a
    model's errors (None if it does not)."""
    key = name.strip().lower()
    if not key or key.startswith("unnamed"):
        return ("an unnamed column (as pandas writes its index)" if not key
                else f"named {name!r}, as pandas names its index")
    if facts.n < 3 or not facts.integral:
        return None
    if facts.unit_steps and facts.first in (0, 1):
        return f"its values are {facts.first:.0f}..{facts.last:.0f}, a row number"
    if key in _INDEX_NAMES and facts.rising:
        return f"named {name!r} with increasing integers, an identifier"
    return None


def errors(predictions, truth) -> np.ndarray:
    """The errors prediction - truth, one column per model (``predictions`` is (n, k), ``truth`` (n,)).

    >>> errors(np.array([[2.0, 4.0], [3.0, 1.0]]), np.array([1.0, 2.0])).tolist()
    [[1.0, 3.0], [1.0, -1.0]]
    """
    return np.asarray(predictions, dtype=np.float64) - np.asarray(truth, dtype=np.float64)[:, None]


def _off_center(facts) -> bool:
    """True when a column's mean is more than 3 standard deviations from 0 (errors are centered near 0), of
    its finite values."""
    m = facts.finite
    if m.n < 2:
        return False
    spread = math.sqrt(m.m2 / m.n)
    return spread > 0 and abs(m.mean) > 3 * spread


def guess_models(names: Sequence[str], table, truth_given: bool) -> tuple[list[int], str | None]:
    """The columns of a table that are models' errors, when the user chose none.

    Index-like columns (a blank or ``Unnamed: 0`` header as pandas writes its
    index; integers 0..n-1 or 1..n; an ``id`` column of increasing integers)
    are left out. Without ``truth_given``, a column named like the true
    values (``y``, ``truth``, ``target``, ...) is kept but warned about, and
    so are columns none of which is centered near 0 as errors are.

    Returns
    -------
    keep : list of int
        The indices of the columns taken as models.
    message : str or None
        What was guessed and how to choose instead; None when nothing looked
        doubtful.

    Examples
    --------
    >>> t = np.array([[1, -5.0, 10], [2, 8, -7], [3, -3, 12]])
    >>> keep, message = guess_models(["song", "A", "B"], t, truth_given=False)
    >>> keep
    [1, 2]
    >>> print(message)
    took 'A', 'B' as the models (choose with -c); left out 'song': its values are 1..3, a row number
    """
    from .moments import ColumnFacts

    table = np.asarray(table, dtype=np.float64)
    return guess_from_facts(names, [ColumnFacts.of(np.ascontiguousarray(table[:, j])) for j in range(len(names))],
                            truth_given)


def guess_from_facts(names: Sequence[str], facts, truth_given: bool) -> tuple[list[int], str | None]:
    """:func:`guess_models` from each column's :class:`~normcli.core.moments.ColumnFacts` (merged across
    partitions on the Dask engine)."""
    left = [(j, why) for j, name in enumerate(names) if (why := _index_like(name, facts[j])) is not None]
    keep = [j for j in range(len(names)) if j not in {j for j, _ in left}]
    if not keep:  # every column looks like an index: they are all someone's data after all
        keep, left = list(range(len(names))), []
    doubts = [f"left out {names[j]!r}: {why}" for j, why in left]
    if not truth_given:
        truthy = [names[j] for j in keep if names[j].strip().lower() in TRUTH_NAMES]
        if truthy and len(keep) > 1:
            doubts.append(f"{truthy[0]!r} looks like the true values, not errors: if the other columns are "
                          f"predictions, give --truth {truthy[0]}")
        elif len(keep) > 1 and all(_off_center(facts[j]) for j in keep):
                doubts.append("no column is centered near 0 as errors are (each mean is more than 3 standard "
                              "deviations from 0): if these are predictions, name the true values with --truth")
    if not doubts:
        return keep, None
    taken = ", ".join(repr(names[j]) for j in keep)
    return keep, f"took {taken} as the models (choose with -c); " + "; ".join(doubts)


def _fmt_p(p: float | None) -> str:
    return "undefined" if p is None else f"{p:.3g}"


def fewest_replicates(alpha: float) -> int:
    """The least B whose percentile interval at level 1 - alpha is not its extreme replicates: B alpha / 2 >= 1,
    up to the rounding of alpha (1 - 0.9 is 0.09999999999999998, yet B = 20 gives a 90% interval)."""
    return max(1, math.ceil(2 / alpha * (1 - 1e-12)))


def _percent(fraction: float) -> str:
    """0.05 -> '5%', 0.999999 -> '99.9999%': as many digits as the number has."""
    return f"{fraction * 100:.10g}%"


def _verdict(p: Pair, alpha: float, adjusted: bool) -> tuple[str, str]:
    """A word for the table and a sentence for the notes; the DM-HLN test decides."""
    level = _percent(alpha)
    dm_p = p.dm_holm if adjusted else p.dm.p
    wx_p = p.wilcoxon_holm if adjusted else p.wilcoxon.p
    label = "Holm-adjusted p" if adjusted else "p"
    wx = f"; Wilcoxon {label} = {_fmt_p(wx_p)}"
    if p.dm.p is None:
        if p.dm.why == "the losses are identical":
            return "identical", f"{p.model} and {p.reference} have identical losses: no difference to test."
        return "undefined", f"{p.model} vs {p.reference}: the DM-HLN test is undefined ({p.dm.why}){wx}."
    direction = "worse" if p.mean_diff > 0 else "better"
    ci = ""
    if p.interval is not None and p.interval.low is not None:
        inside = p.interval.low <= 0 <= p.interval.high
        unadjusted = " (not adjusted for the multiple comparisons)" if adjusted else ""
        ci = (f"; the {_percent(1 - alpha)} interval of the difference{unadjusted} "
              f"{'includes' if inside else 'excludes'} 0")
    if dm_p < alpha:
        disagree = " (the Wilcoxon test does not confirm it)" if wx_p is not None and wx_p >= alpha else ""
        return direction, (f"{p.model} is {direction} than {p.reference} (mean loss difference "
                           f"{p.mean_diff:.4g}; DM-HLN {label} = {_fmt_p(dm_p)} < {level}{ci}{wx}){disagree}.")
    disagree = " (the Wilcoxon test does find a difference)" if wx_p is not None and wx_p < alpha else ""
    return "not significant", (f"{p.model} vs {p.reference}: no significant difference at {level} (mean loss "
                               f"difference {p.mean_diff:.4g}; DM-HLN {label} = {_fmt_p(dm_p)}{ci}{wx}){disagree}.")


_LOSS_TEXT = {"absolute": "|e|", "squared": "e^2", "percentage": "|e| / |y|"}


def comparison_result(c: Comparison) -> Result:
    """The models table (rank, name, metrics), and the pairwise tests as a second table.

    Plain output is the ranking: the model name, its sort metric and, when
    there are tests, its verdict against the reference ("reference" for the
    reference itself), one model per line. The terminal leaves the verdict
    column out of the models table: the tests table below it has it.
    """
    order = sorted(range(len(c.names)), key=lambda j: (c.ranks[j] is None, c.ranks[j] or 0, j))
    columns = ["model", *c.shown]
    if c.sort_by not in c.shown:
        columns.append(c.sort_by)
    verdicts = {p.model: p.verdict for p in c.pairs}
    if c.pairs:
        verdicts[c.reference] = "reference"
    rows = []
    for j in order:
        v = c.values[c.names[j]]
        row = (c.ranks[j], c.names[j], *(v[m] for m in columns[1:]))
        rows.append((*row, verdicts.get(c.names[j], "")) if c.pairs else row)
    plain = [0, columns.index(c.sort_by)]
    if c.pairs:
        columns.append("verdict")
        plain.append(len(columns) - 1)
    best = [i for i, j in enumerate(order) if c.ranks[j] == 1]
    result = Result(f"models ranked by {c.sort_by} (n = {c.n})", columns, rows=rows,
                    label="rank", plain=plain, highlight=best, notes=list(c.notes),
                    warnings=list(c.warnings), digits=6, hidden=["verdict"] if c.pairs else [])
    result.notes.append(_metric_note(c))
    if c.pairs:
        result.extra.append(_pairs_result(c))
    return result


def _metric_note(c: Comparison) -> str:
    parts = ["errors are prediction - truth", "metrics as scikit-learn"]
    if "bias" in c.shown or c.sort_by == "bias":
        parts.append("bias = mean error (ranked by its size)")
    if "MAPE" in c.shown or c.sort_by == "MAPE":
        parts.append("MAPE is a fraction (0.1 = 10%)")
    if "R^2" in c.shown or c.sort_by == "R^2":
        parts.append("higher R^2 is better")
    return "; ".join(parts)


def _pairs_result(c: Comparison) -> Result:
    several = len(c.pairs) > 1
    columns = ["vs", "mean diff", "CI low", "CI high", "DM-HLN t", "DM p"]
    if several:
        columns.append("DM p (Holm)")
    columns += ["Wilcoxon W", "Wilcoxon p"]
    if several:
        columns.append("Wilcoxon p (Holm)")
    columns.append("verdict")
    # For scripts (csv, json); the terminal has them in the title and notes.
    meta = ["n", "loss", "confidence", "horizon", "df", "CI method", "Wilcoxon method"]
    rows = []
    for p in c.pairs:
        ci = p.interval
        row = [p.model, p.reference, p.mean_diff,
               ci.low if ci else None, ci.high if ci else None, p.dm.statistic, p.dm.p]
        if several:
            row.append(p.dm_holm)
        row += [p.wilcoxon.statistic, p.wilcoxon.p]
        if several:
            row.append(p.wilcoxon_holm)
        row += [p.verdict, c.n, c.loss, c.confidence, c.horizon, c.n - 1, ci.method if ci else "",
                p.wilcoxon.method or ""]
        rows.append(tuple(row))
    alpha = 1 - c.confidence
    methods = sorted({p.interval.method for p in c.pairs if p.interval is not None})
    notes = [
        f"loss per observation: {c.loss} ({_LOSS_TEXT[c.loss]}); mean diff = mean loss of the model minus that "
        f"of {c.reference} (positive: the model is worse); significance at {alpha:.10g}",
        *(f"CI: {_percent(c.confidence)} confidence, {m}" for m in methods),
        f"DM-HLN: Diebold-Mariano with the Harvey-Leybourne-Newbold correction, horizon {c.horizon}, "
        f"Student t with n - 1 = {c.n - 1} df, two-sided" + (" (= the paired t-test)" if c.horizon == 1 else ""),
        "Wilcoxon: signed-rank test of the differences, zeros discarded, two-sided; "
        + ", ".join(f"{p.wilcoxon.method} p ({p.model})" if p.wilcoxon.method else
                    f"undefined for {p.model} ({p.wilcoxon.why})" for p in c.pairs),
    ]
    mismatch = loss_mismatch(c.sort_by, c.loss)
    if mismatch:
        notes.append(mismatch)
    if several:
        notes.append(f"Holm: p-values adjusted over the {len(c.pairs)} comparisons with {c.reference} "
                     "(the raw ones beside them); the verdict uses the adjusted DM-HLN p")
    notes += [p.sentence for p in c.pairs]
    return Result(f"paired tests against {c.reference}", [*columns, *meta], rows=rows, label="model", notes=notes,
                  digits=4, hidden=["vs", *meta])


# For the per-group comparison (core/groups.py): the verdict and the metric note of one comparison.
verdict = _verdict
metric_note = _metric_note

"""Moments and column facts that merge in input order: shared by compare-models' local guess of which columns
are models and by the Dask engine's passes (:mod:`normcli.core.mergeable`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Moments:
    """n, the mean (float64) and the central sums M2, M3, M4, merged by Pebay's formulas."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0

    @staticmethod
    def of(x: np.ndarray) -> Moments:
        n = x.size
        if n == 0:
            return Moments()
        mean = float(np.sum(x, dtype=np.longdouble) / n)
        c = x - mean
        c2 = c * c
        return Moments(n, mean, float(c2.sum()), float(np.dot(c2, c)), float(np.dot(c2, c2)))

    def merge(self, o: Moments) -> Moments:
        if self.n == 0:
            return o
        if o.n == 0:
            return self
        na, nb = self.n, o.n
        n = na + nb
        delta = o.mean - self.mean
        d2 = delta * delta
        mean = self.mean + delta * nb / n
        m2 = self.m2 + o.m2 + d2 * na * nb / n
        m3 = self.m3 + o.m3 + d2 * delta * na * nb * (na - nb) / (n * n) + 3 * delta * (na * o.m2 - nb * self.m2) / n
        m4 = (self.m4 + o.m4 + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n ** 3)
              + 6 * d2 * (na * na * o.m2 + nb * nb * self.m2) / (n * n) + 4 * delta * (na * o.m3 - nb * self.m3) / n)
        return Moments(n, mean, m2, m3, m4)


@dataclass(frozen=True)
class ColumnFacts:
    """What :func:`normcli.core.compare.guess_models` asks of a column, merged in input order: its length,
    first and last values, whether every value is a finite integer, whether every step is 1 or positive,
    and the moments of its finite values."""

    n: int = 0
    first: float = math.nan
    last: float = math.nan
    integral: bool = True
    unit_steps: bool = True
    rising: bool = True
    finite: Moments = field(default_factory=Moments)

    @staticmethod
    def of(col: np.ndarray) -> ColumnFacts:
        if col.size == 0:
            return ColumnFacts()
        ok = np.isfinite(col)
        step = np.diff(col)
        with np.errstate(invalid="ignore"):
            integral = bool(ok.all() and (col == np.round(col)).all())
        return ColumnFacts(col.size, float(col[0]), float(col[-1]), integral, bool((step == 1).all()),
                           bool((step > 0).all()), Moments.of(col[ok]))

    def merge(self, o: ColumnFacts) -> ColumnFacts:
        if self.n == 0:
            return o
        if o.n == 0:
            return self
        step = o.first - self.last
        return ColumnFacts(self.n + o.n, self.first, o.last, self.integral and o.integral,
                           self.unit_steps and o.unit_steps and step == 1, self.rising and o.rising and step > 0,
                           self.finite.merge(o.finite))

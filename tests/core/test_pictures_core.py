"""The numbers behind the pictures: ball areas, t quantiles, metric intervals, recording intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from normcli.core import pictures


@pytest.mark.parametrize("p, area", [(1.0, 2.0), (2.0, math.pi), (math.inf, 4.0), (0.5, 2.0 / 3.0)])
def test_ball_area_closed_forms(p, area):
    assert pictures.ball_area(p) == pytest.approx(area, rel=1e-15)


@pytest.mark.parametrize("p", [0.3, 0.75, 1.5, 3.0, 7.0])
def test_ball_area_against_quadrature(p):
    # 4 * integral over [0, 1] of (1 - x^p)^(1/p)
    quad, _ = integrate.quad(lambda x: (1 - x**p) ** (1 / p), 0, 1, epsabs=1e-14, epsrel=1e-13)
    assert pictures.ball_area(p) == pytest.approx(4 * quad, rel=1e-10)


@pytest.mark.parametrize("p", [0.0, -1.0, -math.inf])
def test_ball_area_of_unbounded_balls_is_refused(p):
    with pytest.raises(ValueError, match="unbounded"):
        pictures.ball_area(p)


@pytest.mark.parametrize("df", [1, 2, 5, 30, 1000])
@pytest.mark.parametrize("q", [0.9, 0.975, 0.995])
def test_t_quantile_matches_scipy(q, df):
    assert pictures.t_quantile(q, df) == pytest.approx(stats.t.ppf(q, df), rel=1e-9)


def test_metric_intervals_are_t_intervals_of_the_mean_loss():
    rng = np.random.default_rng(1)
    e = rng.standard_normal((50, 2)) * [1.0, 2.0]
    y = rng.standard_normal(50) * 5 + 10
    for metric, loss, fmap in [("MAE", np.abs, lambda m: m), ("MSE", np.square, lambda m: m),
                               ("RMSE", np.square, np.sqrt), ("L1", np.abs, lambda m: 50 * m),
                               ("bias", lambda v: v, lambda m: m)]:
        got = pictures.metric_intervals(e, y, metric, 0.9)
        for j in range(2):
            v = loss(e[:, j])
            lo, hi = stats.t.interval(0.9, 49, loc=v.mean(), scale=stats.sem(v))
            assert got[j] == pytest.approx((fmap(max(lo, 0) if loss is np.square else lo), fmap(hi)), rel=1e-9)
    assert pictures.metric_intervals(e, y, "median|e|", 0.9) == [None, None]
    r2 = pictures.metric_intervals(e, y, "R^2", 0.9)
    sst = np.sum((y - y.mean()) ** 2)
    mse = pictures.metric_intervals(e, y, "MSE", 0.9)
    assert r2[0] == pytest.approx((1 - 50 * mse[0][1] / sst, 1 - 50 * mse[0][0] / sst), rel=1e-12)


def test_metric_intervals_do_not_overflow_near_the_float64_limit():
    e = np.array([[1e307], [-1e307], [5e306], [2e307]])
    (lo, hi), = pictures.metric_intervals(e, None, "MAE", 0.95)
    assert math.isfinite(lo) and math.isfinite(hi) and lo < np.abs(e).mean() < hi


def test_compare_pictures_shapes():
    e = np.array([[1.0, 2.0], [-1.0, 3.0], [0.5, -2.0]])
    bars, dists = pictures.compare_pictures(["A", "B"], e, None, "MAE", [0.8333, 2.3333], 0.95)
    assert bars.kind == "intervals" and [s.label for s in bars.series] == ["A", "B"]
    assert all(len(s.y) == 2 and s.y[0] < s.x[0] < s.y[1] for s in bars.series)
    assert dists.kind == "histograms" and np.array_equal(dists.series[1].x, e[:, 1])


@pytest.mark.parametrize("steps, every, want", [(10, 1, 1), (1000, 50, 2), (10**5, 5000, 250), (7, 7, 1),
                                                 (10**6, 50000, 2500)])
def test_plot_every_divides_the_table_interval(steps, every, want):
    got = pictures.plot_every(steps, every)
    assert got == want and every % got == 0


def test_polygon_area_of_a_square_and_a_fine_circle():
    assert pictures.polygon_area([1, -1, -1, 1], [1, 1, -1, -1]) == 4.0
    t = np.linspace(0, 2 * np.pi, 20001)
    assert pictures.polygon_area(np.cos(t), np.sin(t)) == pytest.approx(math.pi, rel=1e-7)


def test_ball_result_of_a_tall_matrix_uses_the_outline():
    from normcli.core import distances

    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # ||A x||_inf = max(|x1|, |x2|, |x1 + x2|): a hexagon
    r = pictures.ball_result([math.inf], lambda q: distances.ball_boundary(q, A), A)
    assert r.rows[0][2] == pytest.approx(3.0, rel=1e-12)  # the hexagon with vertices (1,0), (0,1), (-1,1), ...

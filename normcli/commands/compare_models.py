"""``normcli compare-models``: metrics, a ranking and paired tests of models by their errors."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import UsageError
from . import common
from .options import METRIC_WORDS, Shared, Words, shared, text, texts

COMMAND = dict(
    name="compare-models",
    short_help="Compare models.  e.g. normcli compare-models -f errors.csv",
    epilog="Examples: normcli compare-models --model A=-5,8,-3 --model B=10,-7,12  |  "
    "normcli compare-models -f errors.csv  |  normcli compare-models -f preds.csv --truth y --sort-by rmse",
)


@shared("plot", "save", "file", "column", "by", "sort", "delimiter", "header", "nan", "engine", "scheduler", "output",
        "precision", "quiet")
def compare_models(
    model: texts("--model", "-m", help="NAME=VALUES: one model's errors inline (repeatable): --model A=-5,8,-3",
                 metavar="NAME=VALUES") = None,
    truth: text("--truth", help="Column of true values (the other columns are predictions; errors = "
                "prediction - truth), or the true values as numbers with --model.", metavar="COLUMN|VALUES") = None,
    metric: texts("--metric", help="Metric to show (repeatable): l1 l2 mae mse rmse max median bias, "
                  "and r2 mape with --truth. [default: all]", click_type=METRIC_WORDS) = None,
    sort_by: Annotated[str, typer.Option("--sort-by", help="Metric that ranks the models.",
                                         click_type=METRIC_WORDS)] = "mae",
    baseline: text("--baseline", help="Model the others are tested against. [default: the best ranked]",
                   metavar="MODEL") = None,
    loss: text("--loss", help="Per-observation loss of the tests: absolute, squared or percentage "
               "[default: matches --sort-by]", click_type=Words("absolute", "squared", "percentage")) = None,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Confidence of the interval; tests are judged at 1 - this.")
    ] = 0.95,
    bootstrap: Annotated[
        Optional[int],
        typer.Option("--bootstrap", help="Bootstrap replicates B. [default: 2000 up to n = 10000, the exact "
                     "large-sample interval above; giving B always resamples]", min=100, max=1_000_000,
                     show_default=False),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the bootstrap (the same seed, the same interval).", min=0)
    ] = 0,
    horizon: Annotated[
        int, typer.Option("--horizon", help="Diebold-Mariano horizon h (autocovariances up to h - 1).", min=1)
    ] = 1,
    opts: Shared = Shared(),
) -> None:
    """Compare models by their errors: metrics, a ranking, and paired tests against the best.

    Input: a CSV (file or stdin) with one error column per model, the header
    naming the models; or --truth naming the column of true values, the
    other columns then being predictions; or the errors inline with --model.
    """
    from .. import inputs, operands
    from ..core import compare
    from ..core.errors import CoreError

    try:
        shown = [compare.metric_name(m) for m in metric] if metric else None
        sort = compare.metric_name(sort_by)
    except CoreError as exc:
        raise UsageError(str(exc)) from None
    if loss is not None and loss not in compare.LOSSES:
        raise UsageError(f"--loss must be one of {', '.join(compare.LOSSES)}, not {loss!r}")
    if not 0 < confidence < 1:
        raise UsageError(f"--confidence must lie strictly between 0 and 1 (0.95 for 95%), not {confidence:g}")
    if truth is None:
        needs = [m for m in [*(shown or ()), sort] if m in compare.TRUTH_METRICS]
        if needs or loss == "percentage":
            raise UsageError(f"{needs[0] if needs else '--loss percentage'} needs the true values: "
                             "name their column with --truth")
    spec = common.input_spec((), opts)
    common.refuse_sort_without_by(opts)
    common.refuse_scheduler_without_dask(opts)
    if opts.engine == "dask":
        if model or opts.by or opts.plot or opts.save is not None:
            raise UsageError("--engine dask compares the models of files (--file); --model, --by, --plot and "
                             "--save run on --engine local")
        return _distributed(spec, truth, opts, shown=shown, sort_by=sort, baseline=baseline, loss=loss,
                            confidence=confidence, replicates=bootstrap, seed=seed, horizon=horizon)
    if opts.by:
        if model:
            raise UsageError("--by groups the rows of a table: give the errors with --file or stdin, not --model")
        if opts.plot or opts.save is not None:
            raise UsageError("--by gives one comparison per group: --plot and --save draw one comparison")
        by, keys, gids, names, errors, truth_values, omitted, guess = operands.grouped_models(spec, truth)
        if baseline is not None and baseline not in names:
            raise UsageError(f"--baseline {baseline!r} is not one of the models ({', '.join(names)})")
        from ..core import groups

        order = common.group_order(keys) if opts.sort else None
        result = common.core_call(
            lambda: groups.compare_groups(by, keys, gids, names, errors, truth_values, order, shown=shown,
                                          sort_by=sort, baseline=baseline, loss=loss, confidence=confidence,
                                          replicates=bootstrap, seed=seed, horizon=horizon))
        if guess:
            result.warnings.insert(0, guess)
        common.omitted_observations(result, omitted, horizon)
        return common.show(result, opts)
    if model:
        names, errors, truth_values, omitted = operands.inline_models(model, truth, spec)
        guess = None
    else:
        if opts.file is None and not inputs.stdin_piped():
            raise UsageError("no input: give each model's errors with --model NAME=VALUES, a CSV with --file, "
                             "or pipe a CSV in; e.g. normcli compare-models --model A=-5,8,-3 --model B=10,-7,12")
        names, errors, truth_values, omitted, guess = operands.table_models(spec, truth)
    if baseline is not None and baseline not in names:
        raise UsageError(f"--baseline {baseline!r} is not one of the models ({', '.join(names)})")
    comparison = common.core_call(
        lambda: compare.compare(names, errors, truth_values, shown=shown, sort_by=sort, baseline=baseline,
                                loss=loss, confidence=confidence, replicates=bootstrap, seed=seed, horizon=horizon))
    result = compare.comparison_result(comparison)
    if opts.plot or opts.save is not None:
        from ..core import pictures

        values = [comparison.values[name][sort] for name in names]
        result.pictures = pictures.compare_pictures(names, errors, truth_values, sort, values, confidence)
    if guess:
        result.warnings.insert(0, guess)
    common.omitted_observations(result, omitted, horizon)
    common.show_pictures(result, opts)


def _distributed(spec, truth, opts: Shared, **choices) -> None:
    """--engine dask: the metrics and tests from passes over the files on the cluster."""
    from .. import distributed
    from ..core import compare

    with distributed.Cluster(opts.scheduler) as cluster:
        comparison, omitted, guess = common.core_call(lambda: distributed.compare(spec, cluster, truth, **choices))
    result = compare.comparison_result(comparison)
    if guess:
        result.warnings.insert(0, guess)
    common.omitted_observations(result, omitted, choices["horizon"])
    common.show(result, opts)

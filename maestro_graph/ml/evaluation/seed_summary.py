"""The held-out protocol over several seeds: each seed is a fresh split, fresh tuning and a
fresh fit; the summary is the mean and the standard deviation of every figure."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

TASKS = ("artifacts", "team", "outcome")
PRIMARY = {"artifacts": ("recall@10", "ndcg@10"), "team": ("hit@10", "mrr"), "outcome": ("roc_auc", "ap")}


def over_seeds(
    run: Callable[[int], dict], seeds: Sequence[int], on_run: Callable[[int, dict], None] | None = None
) -> dict:
    """{"seeds", "runs" (one result dict per seed), "summary": summary[task][method][metric] = {mean, std}}.

    `on_run(seed, result)` is called as each seed finishes, so a long run shows its progress."""
    runs = []
    for seed in seeds:
        runs.append(run(seed))
        if on_run is not None:
            on_run(seed, runs[-1])
    return {"seeds": list(seeds), "runs": runs, "summary": summarise(runs)}


def summarise(runs: list[dict]) -> dict:
    """Mean and (population) standard deviation per task, method and metric, over the methods
    every run measured; nan figures (an undefined metric) are left out of both."""
    summary: dict = {}
    for task in TASKS:
        methods = [m for m in runs[0].get(task, {}) if all(m in run.get(task, {}) for run in runs)]
        summary[task] = {}
        for method in methods:
            metrics = runs[0][task][method].keys()
            summary[task][method] = {}
            for metric in metrics:
                values = np.array([run[task][method][metric] for run in runs], dtype=np.float64)
                values = values[~np.isnan(values)]
                summary[task][method][metric] = {
                    "mean": float(values.mean()) if len(values) else float("nan"),
                    "std": float(values.std()) if len(values) else float("nan"),
                }
    return summary


def render_summary(summary: dict, n_seeds: int) -> str:
    """Markdown: mean ± standard deviation over the seeds, the best mean of each metric in bold."""
    lines = [
        f"| task | method | metric 1 (mean ± sd, {n_seeds} seeds) | metric 2 |",
        "| --- | --- | --- | --- |",
    ]
    for task, (m1, m2) in PRIMARY.items():
        methods = summary.get(task, {})
        best = {
            metric: max((f[metric]["mean"] for f in methods.values() if not np.isnan(f[metric]["mean"])), default=None)
            for metric in (m1, m2)
        }
        for name, figures in methods.items():
            cells = []
            for metric in (m1, m2):
                text = f"{metric} {figures[metric]['mean']:.3f} ± {figures[metric]['std']:.3f}"
                cells.append(f"**{text}**" if figures[metric]["mean"] == best[metric] else text)
            lines.append(f"| {task} | {name} | {cells[0]} | {cells[1]} |")
    base = summary.get("outcome", {}).get("logreg", {}).get("base_rate")
    if base is not None:
        lines.append(f"\nOutcome test base rate (removed): {base['mean']:.3f}")
    return "\n".join(lines)

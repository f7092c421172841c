"""Benchmark: core-periphery (k-core, MINRES score, BE split) and its configuration-model test.

Builds a 100k-person interaction graph with a heavy-tailed degree distribution
(Barabási–Albert, 3 ties per newcomer, plus a planted 200-person core), then times
k-core, the continuous core score, the discrete split and the significance test.

Run: ``.venv/bin/python bench/core_periphery.py [--people 100000] [--null 19]``.
"""

from __future__ import annotations

import argparse
import os
import random
import time

import igraph as ig
import numpy as np

from undertow.features.core import _coreness, _simple_edges, graph_core_periphery_test


def build(people: int, seed: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A preferential-attachment graph with a planted dense core of 200 people."""
    ig.set_random_number_generator(random.Random(seed))  # noqa: S311 - reproducible bench
    graph = ig.Graph.Barabasi(people, 3)
    ig.set_random_number_generator(random)
    pairs = np.asarray(graph.get_edgelist(), dtype=np.int64)
    rng = np.random.default_rng(seed)
    core = rng.choice(people, size=200, replace=False)
    i, j = np.triu_indices(200, k=1)
    dense = rng.random(i.size) < 0.3
    extra = np.column_stack([core[i[dense]], core[j[dense]]])
    pairs = np.vstack([pairs, extra])
    low, high = _simple_edges(people, pairs[:, 0], pairs[:, 1])
    return people, low, high, core


def main() -> None:
    """Time each step and print a Markdown table row."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--null", type=int, default=19)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n, low, high, planted = build(args.people, args.seed)
    cpu = time.process_time()
    start = time.perf_counter()
    coreness = _coreness(n, low, high)
    t_coreness = time.perf_counter() - start
    start = time.perf_counter()
    observed, null = graph_core_periphery_test(n, low, high, n_null=args.null, seed=args.seed)
    t_test = time.perf_counter() - start
    cpu = time.process_time() - cpu
    p_value = (1 + int(np.sum(null >= observed.fit))) / (1 + null.size)
    recovered = float(observed.is_core[planted].mean())
    print(
        f"| {n} | {low.size} | {recovered:.2f} | {int(coreness.max())} "
        f"| {int(observed.is_core.sum())} "
        f"| {observed.fit:.3f} | {np.mean(null):.3f} ± {np.std(null, ddof=1):.3f} "
        f"| {p_value:.3f} | {args.null} | {t_coreness:.2f} | {t_test:.2f} "
        f"| {t_coreness + t_test:.2f} | {cpu:.2f} | {os.getloadavg()[0]:.1f} |"
    )


if __name__ == "__main__":
    main()

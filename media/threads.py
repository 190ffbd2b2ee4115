"""How many threads torch may use for a step, and how many Python threads share a batch of
independent model calls.

Intra-op threads: one by default. Measured on the 2-core machine shared with other workers,
CAM++ on four 10 s clips took 1.6 s with one thread and 40 s with two (OpenMP threads spinning
against the other processes' threads). An environment variable per step changes it; 0 keeps
torch's default (a thread per core).

Workers (`split_map`): a batch of independent calls (one CAM++ embedding per clip) spread over
Python threads that each run single-threaded torch ops. torch releases the GIL inside its ops
and nothing spins while waiting, so a busy machine loses nothing and an idle core is used."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Sequence, TypeVar

__all__ = ["torch_threads", "workers", "split_map"]

T = TypeVar("T")
R = TypeVar("R")


@contextmanager
def torch_threads(env: str, default: int = 1):
    """Run the block with `env` (default `default`) torch threads, then restore the count."""
    import torch

    wanted = int(os.environ.get(env, str(default)) or 0)
    before = torch.get_num_threads()
    if wanted > 0:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def workers(env: str, most: int = 2) -> int:
    """Python threads for a batch: `env` when set (>= 1), else the cores this process may use, at
    most `most` (a django-q2 worker shares the machine with the web app and other workers)."""
    raw = os.environ.get(env, "").strip()
    if raw:
        return max(int(raw), 1)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(min(cores, most), 1)


def split_map(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], sizes: Sequence[float],
              n_workers: int) -> list[R]:
    """`fn(items)` with the items split into `n_workers` groups of about equal total size (the
    longest first to the least loaded group), each group on its own thread; results in the
    items' order. One worker or one item: a plain call on this thread."""
    if n_workers <= 1 or len(items) <= 1:
        return list(fn(items))
    groups: list[list[int]] = [[] for _ in range(min(n_workers, len(items)))]
    load = [0.0] * len(groups)
    for i in sorted(range(len(items)), key=lambda i: -sizes[i]):
        g = load.index(min(load))
        groups[g].append(i)
        load[g] += sizes[i]
    out: list = [None] * len(items)
    with ThreadPoolExecutor(len(groups), thread_name_prefix="split-map") as pool:
        done = pool.map(lambda g: (g, fn([items[i] for i in g])), groups)
        for group, results in done:
            for i, r in zip(group, results):
                out[i] = r
    return out

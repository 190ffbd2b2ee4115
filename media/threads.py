"""How many threads torch may use for a step. One by default: measured on the 2-core machine
shared with other workers, CAM++ on four 10 s clips took 1.6 s with one thread and 40 s with two
(OpenMP threads spinning against the other processes' threads). An environment variable per
step changes it; 0 keeps torch's default (a thread per core)."""
from __future__ import annotations

import os
from contextlib import contextmanager

__all__ = ["torch_threads"]


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

"""Per-process model cache: each model is loaded once per worker and reused across jobs.

Bounded by an approximate byte budget (MEDIA_MODEL_CACHE_MB, default 6000): when a new model
would exceed it, the least recently used ones are dropped.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any, Callable

__all__ = ["ModelCache", "models", "estimate_bytes"]


def estimate_bytes(obj: Any) -> int:
    """Parameter bytes of a torch module (or of modules it holds); a small default otherwise."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return 1 << 20
    seen: set[int] = set()
    total = 0

    def visit(value: Any, depth: int) -> None:
        nonlocal total
        if depth > 3 or id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, torch.nn.Module):
            total += sum(p.numel() * p.element_size() for p in value.parameters())
            return
        for attr in getattr(value, "__dict__", {}).values():
            if isinstance(attr, torch.nn.Module) or hasattr(attr, "__dict__"):
                visit(attr, depth + 1)

    visit(obj, 0)
    return total or (1 << 20)


class ModelCache:
    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.RLock()
        self.loads = 0

    def get(self, key: str, loader: Callable[[], Any], size: Callable[[Any], int] = estimate_bytes) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            value = loader()
            self.loads += 1
            nbytes = size(value)
            while self._items and self.used() + nbytes > self.budget:
                self._items.popitem(last=False)
            self._items[key] = (value, nbytes)
            return value

    def used(self) -> int:
        return sum(n for _, n in self._items.values())

    def keys(self) -> list[str]:
        return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


models = ModelCache(int(float(os.environ.get("MEDIA_MODEL_CACHE_MB", "6000")) * (1 << 20)))

"""Where apps above the catalog plug into it without the catalog importing them.

`series` is the ground floor: it cannot ask `jobs` whether a series has running jobs. Apps
above it register a function here from their `AppConfig.ready()`, and the catalog's services
and selectors call whatever is registered.
"""
from __future__ import annotations

from collections.abc import Callable

__all__ = ["DeleteGuard", "delete_guards", "register_delete_guard"]

# guard(series) -> reasons the series may not be deleted now (empty: it may). Called inside the
# delete's transaction, after the catalog rows are locked, so a guard may lock its own rows too.
DeleteGuard = Callable[[object], list[str]]

delete_guards: list[DeleteGuard] = []


def register_delete_guard(guard: DeleteGuard) -> DeleteGuard:
    if guard not in delete_guards:
        delete_guards.append(guard)
    return guard

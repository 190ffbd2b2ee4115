"""Where apps above the catalog plug into it without the catalog importing them.

`series` is the ground floor: it cannot ask `jobs` whether a series has running jobs, nor
`voices` how many bytes its refs take. Those apps register a function here from their
`AppConfig.ready()`, and the catalog's services and selectors call whatever is registered.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["DeleteGuard", "UsageProvider", "Forgetter", "delete_guards", "usage_providers", "forgetters",
           "register_delete_guard", "register_usage_provider", "register_forgetter", "forget_voice_data"]

# guard(series) -> reasons the series may not be deleted now (empty: it may). Called inside the
# delete's transaction, after the catalog rows are locked, so a guard may lock its own rows too.
DeleteGuard = Callable[[object], list[str]]
# provider(series_ids) -> {series_id: {category: (bytes, files)}} for the categories it knows.
UsageProvider = Callable[[Iterable[int]], dict[int, dict[str, tuple[int, int]]]]

# forgetter(series, actor, context) drops the voice data an app keeps for the series (refs,
# embeddings). Called inside the transaction that switches privacy mode on or deletes the series.
Forgetter = Callable[[object, object, object], None]

delete_guards: list[DeleteGuard] = []
usage_providers: list[UsageProvider] = []
forgetters: list[Forgetter] = []


def register_delete_guard(guard: DeleteGuard) -> DeleteGuard:
    if guard not in delete_guards:
        delete_guards.append(guard)
    return guard


def register_usage_provider(provider: UsageProvider) -> UsageProvider:
    if provider not in usage_providers:
        usage_providers.append(provider)
    return provider


def register_forgetter(forgetter: Forgetter) -> Forgetter:
    if forgetter not in forgetters:
        forgetters.append(forgetter)
    return forgetter


def forget_voice_data(series, *, actor=None, context=None) -> None:
    for forgetter in forgetters:
        forgetter(series, actor, context)

"""One small interface for every engine, and a registry that picks one with reasons.

An engine has a `name` and `availability() -> (ok, reason)`; its work is one typed call
that returns dataclasses. The registry walks a preference order and reports why each
skipped engine was skipped, so the job log can explain every choice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Generic, Iterable, Protocol, Sequence, TypeVar

from .errors import EngineFailed, EngineUnavailable

__all__ = ["Engine", "Registry", "Selection", "Skip"]


class Engine(Protocol):
    name: str

    def availability(self) -> tuple[bool, str]: ...


E = TypeVar("E", bound=Engine)
R = TypeVar("R")


@dataclass(frozen=True)
class Skip:
    engine: str
    reason: str

    def __str__(self) -> str:
        return f"{self.engine}: {self.reason}"


@dataclass
class Selection(Generic[E]):
    engine: E
    skipped: list[Skip] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.engine.name

    def describe(self) -> str:
        """One line for the job log: chosen engine and why others were not."""
        text = f"engine={self.engine.name}"
        if self.skipped:
            text += " (skipped " + "; ".join(str(s) for s in self.skipped) + ")"
        return text


def _safe_availability(engine: Engine) -> tuple[bool, str]:
    try:
        ok, reason = engine.availability()
    except Exception as exc:  # availability must never crash a job; report instead
        return False, f"availability check failed: {exc}"
    return bool(ok), reason


class Registry(Generic[E]):
    """Engines of one stage, in default preference order."""

    def __init__(self, stage: str, engines: Iterable[E]):
        self.stage = stage
        self.engines: list[E] = list(engines)

    def names(self) -> list[str]:
        return [e.name for e in self.engines]

    def get(self, name: str) -> E:
        for engine in self.engines:
            if engine.name == name:
                return engine
        raise EngineUnavailable(f"{self.stage}: unknown engine {name!r} (known: {', '.join(self.names())})")

    def ordered(self, preference: Sequence[str] | None = None) -> list[E]:
        if not preference:
            return list(self.engines)
        first = [self.get(n) for n in preference]
        return first + [e for e in self.engines if e not in first]

    def report(self) -> list[tuple[str, bool, str]]:
        return [(e.name, *_safe_availability(e)) for e in self.engines]

    def select(self, preference: Sequence[str] | None = None) -> Selection[E]:
        skipped: list[Skip] = []
        for engine in self.ordered(preference):
            ok, reason = _safe_availability(engine)
            if ok:
                return Selection(engine, skipped)
            skipped.append(Skip(engine.name, reason))
        raise EngineUnavailable(
            f"{self.stage}: no engine available (" + "; ".join(str(s) for s in skipped) + ")"
        )

    def run(
        self, call: Callable[[E], R], preference: Sequence[str] | None = None
    ) -> tuple[R, Selection[E]]:
        """Run `call` with the first engine that is available and does not fail.

        Engines that raise EngineFailed/EngineUnavailable are recorded as skipped with the
        error, and the next one is tried; the returned Selection names the one that worked.
        """
        skipped: list[Skip] = []
        for engine in self.ordered(preference):
            ok, reason = _safe_availability(engine)
            if not ok:
                skipped.append(Skip(engine.name, reason))
                continue
            try:
                return call(engine), Selection(engine, skipped)
            except (EngineFailed, EngineUnavailable) as exc:
                skipped.append(Skip(engine.name, f"failed: {exc}"))
        raise EngineFailed(f"{self.stage}: every engine failed (" + "; ".join(str(s) for s in skipped) + ")")


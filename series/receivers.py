"""File cleanup for catalog rows, however they are deleted (a service, the admin, a cascade from a
series or season). Signals are used for this only: cascades bypass services, and a row's file
must go with it. The deletion waits for the commit (`dubsite.storage`)."""
from __future__ import annotations

from dubsite.storage import delete_after_commit


def delete_episode_source(sender, instance, **kwargs) -> None:
    delete_after_commit([instance.source_video.name])

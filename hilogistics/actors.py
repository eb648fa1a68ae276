"""Who acts: a signed-in user, or the system itself (command line, seeding, bulk loads).

Services take ``actor=SYSTEM`` for work nobody signed in for; ``actor=None`` is refused, so a
forgotten argument never means "every permission".
"""

from typing import Final


class SystemActor:
    """The programme itself acting: every permission, no user row (``id`` is None)."""

    id: Final = None
    is_system: Final = True

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = SystemActor()


def is_system(actor: object) -> bool:
    """True when ``actor`` is the system actor."""
    return actor is SYSTEM

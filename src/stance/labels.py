"""The three stance labels, in the one order used everywhere."""

from __future__ import annotations

DENIAL = "denial"
ACCUSATION = "accusation"
NEUTRAL = "neutral"

LABELS: tuple[str, ...] = (DENIAL, ACCUSATION, NEUTRAL)


def is_label(value: object) -> bool:
    """True if ``value`` is one of :data:`LABELS`."""
    return isinstance(value, str) and value in LABELS

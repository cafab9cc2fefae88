"""stance: sentence-level denial / accusation / neutral classification for news text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from stance.predict import StanceModel

__all__ = ["__version__", "load_model"]


def load_model(path: Any = None) -> "StanceModel":
    """Load a trained model (default ``$STANCE_MODEL`` or ``models/stance.joblib``)."""
    from stance.predict import StanceModel

    return StanceModel.load(path)

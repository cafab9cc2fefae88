"""stance: sentence-level denial / accusation / neutral classification for news text."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from stance.predict import StanceModel

__all__ = ["__version__", "load_model"]


def load_model(path: str | os.PathLike[str] | None = None) -> "StanceModel":
    """Load a trained model (default ``$STANCE_MODEL`` or ``models/stance.joblib``)."""
    from stance.predict import StanceModel

    return StanceModel.load(path)

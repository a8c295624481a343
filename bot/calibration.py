"""The fitted numbers of the answer layer, read from `calibration.json`.

Everything in that file is fitted on the dev split by `python -m bot.calibrate` (fusion weights,
the relevance model, the sentence-selection weights), never on the test split; the file records
what it was fitted on. Without it the defaults below apply.
"""
from __future__ import annotations

import json
from pathlib import Path

FILE = Path(__file__).with_name("calibration.json")

DEFAULTS = {
    "fusion": {"chinese": {"dense": 0.3, "sentence": 0.2, "lexical": 0.5},
               "english": {"dense": 0.5, "sentence": 0.5, "lexical": 0.0}},
    "relevance": {"features": [], "mean": [], "scale": [], "weights": [], "bias": 0.0, "threshold": 0.5},
    "composer": {"lexical": 0.15, "passage": 0.1, "figure": 0.0, "margin": 0.04, "extra": 1, "passages": 3},
    "fitted_on": [],
}


_current: dict | None = None


def calibration() -> dict:
    global _current
    if _current is None:
        _current = {**DEFAULTS, **json.loads(FILE.read_text(encoding="utf-8"))} if FILE.exists() else DEFAULTS
    return _current


def use(**parts) -> None:
    """Replace parts of the calibration in this process (the fitting command tries values this way)."""
    global _current
    _current = {**calibration(), **parts}

"""Backends for the embedder compared in the benchmark: torch, ONNX Runtime fp32 (the default for
the bundled model, exported at set-up by ingest/bundled_model.py) and int8 (dynamic quantisation).

sentence-transformers' own `backend="onnx"` needs `optimum`, whose releases pin transformers 4.x
against our 5.x, so the export is torch.onnx.export of the same converted BertModel.
"""
from __future__ import annotations

import time
from pathlib import Path

from ingest import bundled_model


def export(model_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """The fp32 export the project uses, and an int8 dynamically quantised copy of it."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = bundled_model.onnx_path(bundled_model.ensure(model_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    int8 = out_dir / "e5-int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8


def encode_rate(embedder, texts: list[str]) -> float:
    embedder.passages(texts[:16])
    started = time.perf_counter()
    embedder.passages(texts)
    return len(texts) / (time.perf_counter() - started)

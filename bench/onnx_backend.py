"""Faster CPU backends for the embedder: ONNX Runtime, fp32 and int8 (dynamic quantisation).

sentence-transformers' own `backend="onnx"` needs `optimum`, whose releases pin transformers 4.x
against our 5.x, so the export here is torch.onnx.export of the same converted BertModel, run by
onnxruntime (already installed with chromadb) with the same tokenizer, mean pooling and prompts.
Measured only: the project keeps torch unless a backend is faster without losing quality.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np


class OnnxEmbedder:
    def __init__(self, model_dir: Path, onnx_path: Path, name: str, threads: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(512)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.name, self.dim = name, 384

    def _encode(self, texts: list[str], prefix: str, batch_size: int = 16) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            encodings = self.tokenizer.encode_batch([prefix + texts[i] for i in idx])
            width = max(len(e.ids) for e in encodings)
            ids = np.array([e.ids + [1] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
            mask = np.array([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def passages(self, texts, batch_size: int = 16) -> np.ndarray:
        return self._encode(list(texts), "passage: ", batch_size)

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], "query: ")[0]


def export(model_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """fp32 ONNX of the converted model, and its int8 dynamically quantised copy."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import BertModel

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out_dir / "e5.onnx", out_dir / "e5-int8.onnx"
    bert = BertModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Encoder(torch.nn.Module):      # fixes the argument order the export sees
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    dummy = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(Encoder().eval(), (dummy, dummy, torch.zeros_like(dummy)), str(fp32),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                          dynamic_axes={n: {0: "batch", 1: "seq"} for n in
                                        ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")})
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8


def encode_rate(embedder, texts: list[str]) -> float:
    embedder.passages(texts[:16])
    started = time.perf_counter()
    embedder.passages(texts)
    return len(texts) / (time.perf_counter() - started)

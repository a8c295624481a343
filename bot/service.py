"""The bot's parts wired once per process: knowledge base, retriever, answerer."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ingest.kb import KnowledgeBase
from ingest.pipeline import IngestBusy, out_of_date
from ingest.settings import Settings

from . import text
from .answer import Answerer
from .retrieval import Retriever

log = logging.getLogger(__name__)


@dataclass
class Service:
    kb: KnowledgeBase
    retriever: Retriever
    answerer: Answerer


def open_service(settings: Settings, ingest_if_needed: bool = True, progress=None) -> Service:
    kb = KnowledgeBase(settings)
    text.load_dictionary()   # jieba's dictionary, needed by the first question, while the model loads
    kb.embedder  # noqa: B018 - ready (or failed) before the first question
    if ingest_if_needed and out_of_date(settings, kb.store, settings.model):
        log.warning("the knowledge base is out of date with %s: ingesting", settings.data_dir)
        try:
            report = kb.ingest(progress=progress) if progress else kb.ingest()
            log.warning("ingest: %s", report.summary())
        except IngestBusy:
            # Several app processes started together on one server: one ingests, the others serve
            # what the store holds and pick the new revision up as it lands.
            log.warning("another process is ingesting into this store; serving what it holds meanwhile")
    llm = None
    if settings.llm_base_url and settings.llm_model:
        from .llm import LLMAnswerer
        llm = LLMAnswerer(settings)
    retriever = Retriever(kb)
    return Service(kb, retriever, Answerer(kb, retriever, llm))

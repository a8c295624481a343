"""python -m bot.calibrate DEV.jsonl [MORE.jsonl …] [--store DIR] [--grading GRADED.jsonl …]

Fits every number of the answer layer on dev questions and writes bot/calibration.json:
1. the fusion weights per language (dense passage / dense sentence / BM25), by retrieval MRR;
2. the composer's weights (words against meaning, the passage's rank, a stated figure when one is
   asked, the margin for more sentences, how many passages, which items of a list to keep), by evidence in the answer plus the
   first citation holding it, then shorter answers;
3. the relevance model (bot/relevance.py): a logistic regression over its features, and its
   threshold, chosen on out-of-fold probabilities (5-fold cross-validation, repeated) so that it is
   judged on questions it was not fitted on.
4. with --grading, the quiz grader's thresholds (bot/grading.py) on graded trainee answers: the
   fewest wrong answers graded correct, then agreement with the people's verdicts.
Never pass the test splits: their numbers are only reported (python -m bot.eval eval/test.jsonl;
eval/grading-test*.jsonl through bench/evaluation.py).
"""
from __future__ import annotations

import argparse
import itertools
import json
import logging
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import calibration as calibration_module
from . import relevance
from .answer import Answerer, contextualize
from .eval import holds_evidence, read_questions, squash
from .text import is_english

log = logging.getLogger(__name__)
FUSION_GRID = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
COMPOSER_GRID = {"lexical": [0.0, 0.15, 0.3], "passage": [0.0, 0.05, 0.1],
                 "figure": [0.0, 0.05], "margin": [0.0, 0.02, 0.04, 0.06, 0.08], "extra": [1, 2],
                 "passages": [2, 3, 5], "items": [0.0, 0.03, 1.0], "range": [0.0, 0.03, 0.06],
                 "whole": [0, 120, 200]}
MAX_MEDIAN_CHARS = 160   # shorter answers win only within this; evidence in the answer matters more
FOLDS = 5
# The operating point: refusing a question the knowledge base answers costs the user more than a
# cited answer to one it does not (that answer still shows its sources). False refusals weigh four
# times as much, the ratio of the two targets (at most 3% refused, at most 1 in 8 answered), and are
# held under 2% out of fold.
MAX_FALSE_REFUSALS = 0.02
FALSE_REFUSAL_COST = 4.0
# Out-of-fold probabilities from one split of ~250 questions move the threshold by chance; the
# threshold is chosen on the mean error rates over repeated splits.
REPEATS = 10
GRADER_GRID = {"overlap": [0.25, 0.3, 0.4, 0.5, 0.6], "similarity": [0.92, 0.94, 0.96, 0.98, 1.01],
               "english_similarity": [0.80, 0.82, 0.84, 0.86, 0.88]}
# A wrong answer graded correct teaches a trainee a wrong fact, and the issue asks for none: the
# thresholds with the fewest on dev win, agreement decides among them. (A cost of five agreements
# each, used before, chose thresholds that graded several times as many wrong answers correct on
# fresh graded answers as on dev.)


class Workbench:
    """The service with memoised query vectors and sentence vectors, so grids run in seconds."""

    def __init__(self, service, questions: list[dict]):
        self.service = service
        self.questions = questions
        embedder = service.kb.embedder
        embedder.query = lru_cache(maxsize=None)(embedder.query)
        store = service.kb.store
        vectors = {}

        def sentence_vectors(ids):
            missing = [i for i in ids if i not in vectors]
            vectors.update(store.sentence_vectors_uncached(missing) if missing else {})
            return {i: vectors[i] for i in ids if i in vectors}
        store.sentence_vectors_uncached = store.sentence_vectors
        store.sentence_vectors = sentence_vectors
        self.answerer = Answerer(service.kb, service.retriever)

    def query(self, q: dict) -> str:
        return contextualize(q["question"], q.get("history"))

    def retrievals(self):
        return [self.service.retriever.retrieve(self.query(q), self.service.kb.settings.top_k) for q in self.questions]


def set_calibration(**parts) -> None:
    calibration_module.use(**parts)


def fit_fusion(bench: Workbench) -> dict:
    answerable = [q for q in bench.questions if q.get("source")]
    best = {}
    for language, english in (("chinese", False), ("english", True)):
        subset = [q for q in answerable if is_english(q["question"]) == english]
        scores = []
        for d, s in itertools.product(FUSION_GRID, FUSION_GRID):
            lexical = round(1 - d - s, 2)
            if lexical < 0:
                continue
            weights = {"dense": d, "sentence": s, "lexical": lexical}
            fusion = {**calibration_module.calibration()["fusion"], language: weights}
            set_calibration(fusion=fusion)
            mrr = 0.0
            for q in subset:
                hits = bench.service.retriever.retrieve(bench.query(q), 5).hits
                rank = next((i + 1 for i, h in enumerate(hits) if holds_evidence(h.chunk.text, q["evidence"])), None)
                mrr += 1 / rank if rank else 0.0
            scores.append((mrr / max(len(subset), 1), weights))
        scores.sort(key=lambda s: -s[0])
        best[language] = scores[0][1]
        log.warning("fusion %s: MRR %.3f with %s (%d questions)", language, scores[0][0], scores[0][1], len(subset))
        set_calibration(fusion={**calibration_module.calibration()["fusion"], language: scores[0][1]})
    return best


def fit_composer(bench: Workbench, retrievals) -> dict:
    """Coordinate ascent over COMPOSER_GRID (the full product has grown past ten thousand settings):
    each parameter in turn takes its best value with the others held, until a round changes nothing."""
    cases = [(q, r) for q, r in zip(bench.questions, retrievals) if q.get("source") and r.hits]

    def judge(params: dict) -> tuple:
        set_calibration(composer=params)
        gained, lengths = 0.0, []
        for q, found in cases:
            answer = bench.answerer.compose(q["question"], found)
            text = squash(answer.answer)
            # what the user gets: the evidence in the answer, and the first citation holding it
            gained += sum(squash(e) in text for e in q["evidence"]) / len(q["evidence"])
            gained += holds_evidence(answer.citations[0].text, q["evidence"])
            lengths.append(len(text))
        median = float(np.median(lengths))
        return (median <= MAX_MEDIAN_CHARS, round(gained / len(cases), 3), -median)

    current = calibration_module.calibration()["composer"]   # the last fit: a good place to start from
    params = {name: current.get(name, values[0]) for name, values in COMPOSER_GRID.items()}
    best = judge(params)
    for _round in range(4):
        changed = False
        for name, values in COMPOSER_GRID.items():
            for value in values:
                trial = {**params, name: value}
                score = judge(trial)
                if score > best:
                    best, params, changed = score, trial, True
        if not changed:
            break
    log.warning("composer: evidence + hit@1 %.3f, median %d chars with %s", best[1], -best[2], params)
    set_calibration(composer=params)
    return params


def fit_relevance(bench: Workbench, retrievals) -> dict:
    rows, labels, not_stated = [], [], []
    for q, found in zip(bench.questions, retrievals):
        rows.append(relevance.features(found))
        labels.append(int(bool(q.get("source"))))
        composed = bench.answerer.compose(q["question"], found) if found.hits else None
        verdict = relevance.Verdict("answered", 1.0, "")
        not_stated.append(bool(composed) and relevance.check_stated(q["question"], verdict, composed.answer).outcome
                          == "not_stated")
    # decided before the model: an article look-up is answered, a missing article or another law refused
    pinned = np.array([bool(f.hits) and f.hits[0].article_match and not f.missing_article for f in retrievals])
    ruled_out = np.array([not f.hits or f.missing_article or bool(f.other_law) for f in retrievals])
    labels_a, not_stated = np.array(labels), np.array(not_stated)
    oofs = [_out_of_fold(rows, labels, seed) for seed in range(REPEATS)]
    best = None
    for threshold in np.arange(0.05, 0.96, 0.01):
        found = [((oof >= threshold) | pinned) & ~ruled_out & ~not_stated for oof in oofs]
        false_refusal = float(np.mean([np.mean(~f[labels_a == 1]) for f in found]))
        answered_unanswerable = float(np.mean([np.mean(f[labels_a == 0]) for f in found]))
        cost = (FALSE_REFUSAL_COST * false_refusal + answered_unanswerable
                + (10 if false_refusal > MAX_FALSE_REFUSALS else 0))
        if best is None or cost < best[0]:
            best = (cost, round(float(threshold), 2), false_refusal, answered_unanswerable)
    log.warning("relevance: threshold %.2f; out of fold: false refusals %.3f, unanswerable answered %.3f",
                best[1], best[2], best[3])
    return {**relevance.fit(rows, labels), "threshold": best[1],
            "out_of_fold": {"false_refusal_rate": round(best[2], 3), "unanswerable_answered": round(best[3], 3)}}


def _out_of_fold(rows: list[dict], labels: list[int], seed: int) -> np.ndarray:
    """Each question's probability from a model fitted on the other folds."""
    oof = np.zeros(len(rows))
    order = np.random.default_rng(seed).permutation(len(rows))
    for fold in range(FOLDS):
        held = order[fold::FOLDS]
        train = np.setdiff1d(order, held)
        model = relevance.fit([rows[i] for i in train], [labels[i] for i in train])
        for i in held:
            oof[i] = relevance.probability(rows[i], model)
    return oof


def fit_grader(embedder, rows: list[dict]) -> dict:
    from .grading import Grader, key_points_of, needed_points

    vectors: dict[tuple, np.ndarray] = {}

    class Memo:   # each answer's vectors once, for the whole grid
        @staticmethod
        def passages(texts):
            key = tuple(texts)
            if key not in vectors:
                vectors[key] = embedder.passages(list(texts))
            return vectors[key]

    scores = []
    for values in itertools.product(*GRADER_GRID.values()):
        grader = Grader(Memo(), **dict(zip(GRADER_GRID, values)))
        agree = wrong_as_correct = 0
        for row in rows:
            points = key_points_of(row["reference"])
            verdict = grader.grade_text(row["question"], points, row["reference"], row["answer"],
                                        needed_points(row["question"], points)).verdict
            agree += verdict == row["expected"]
            wrong_as_correct += row["expected"] == "wrong" and verdict == "correct"
        scores.append((-wrong_as_correct, agree, wrong_as_correct, values))
    best = max(scores, key=lambda s: s[:2])
    log.warning("grader: agrees on %d of %d graded answers, %d wrong answers graded correct, with %s",
                best[1], len(rows), best[2], dict(zip(GRADER_GRID, best[3])))
    return {**dict(zip(GRADER_GRID, best[3])), "agreement": round(best[1] / len(rows), 3),
            "wrong_as_correct": best[2], "answers": len(rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--store", type=Path)
    parser.add_argument("--grading", type=Path, nargs="+", default=[], help="graded answers for the quiz grader")
    args = parser.parse_args(argv)
    if any("test" in f.stem for f in [*args.files, *args.grading]):
        raise SystemExit("error: the test split is never used for fitting; pass dev files only")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    from ingest.settings import Settings

    from .service import open_service

    settings = Settings.from_env()
    if args.store:
        settings = replace(settings, store_dir=args.store)
    questions = [q for f in args.files for q in read_questions(f)]
    bench = Workbench(open_service(settings, ingest_if_needed=False), questions)
    fusion = fit_fusion(bench)
    retrievals = bench.retrievals()
    composer = fit_composer(bench, retrievals)
    model = fit_relevance(bench, retrievals)
    grader = calibration_module.calibration().get("grader", {})
    if args.grading:
        rows = [json.loads(line) for f in args.grading for line in f.read_text(encoding="utf-8").splitlines()
                if line.strip()]
        grader = {**fit_grader(bench.service.kb.embedder, rows), "fitted_on": [str(f) for f in args.grading]}
    out = {"fitted_on": [str(f) for f in args.files], "questions": len(questions),
           "fusion": fusion, "composer": composer, "relevance": model, "grader": grader}
    calibration_module.FILE.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {calibration_module.FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

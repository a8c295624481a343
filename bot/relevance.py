"""Does the knowledge base answer this question? One decision, in one place, for every answer path.

Three outcomes a user can tell apart:
- "answered": the passages answer it;
- "not_stated": the knowledge base covers the topic but does not state the figure or date asked
  (the answer says so and cites the closest provisions);
- "not_found": nothing relevant (off-domain, another law).

"not_found" is decided before any answer is written, by a logistic model over signals that do not
depend on the question's wording: how close the question's vector is to the best passage and to the
best sentence, how much the best sentence stands out from the rest, how much of the question's
corpus-known wording the best passage holds, how much of the question's wording the corpus uses at
all, the product of the two, and whether the dense and lexical rankings agree. The model is fitted
on the dev split (`python -m bot.calibrate`); an article look-up is answered by definition.
"not_stated" is decided after composing: a question that asks for a quantity or a date is not
answered by sentences that state none.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .calibration import calibration
from .retrieval import Retrieval
from .text import asks_for, states_figure

FEATURES = ["dense", "sentence", "sentence_margin", "coverage", "known", "held", "agree", "english"]
MISSING = {"quantity": "具体数字", "time": "具体时间", "contact": "具体联系方式"}


@dataclass
class Verdict:
    outcome: str            # "answered" | "not_stated" | "not_found"
    probability: float      # the model's probability that the knowledge base answers the question
    reason: str
    missing: str = ""       # for "not_stated": what was asked and not stated

    @property
    def found(self) -> bool:
        return self.outcome == "answered"


def features(retrieval: Retrieval) -> dict[str, float]:
    hits = retrieval.hits[:3]
    sims = retrieval.sentence_sims
    # the best passage, as the rankings list it: a whole article by any of its stored chunks
    top = {p.id for p in hits[0].parts} or {hits[0].chunk.id} if hits else set()

    def reciprocal(ranked: list[str]) -> float:
        return max((1.0 / (1 + n) for n, cid in enumerate(ranked) if cid in top), default=0.0)

    agree = (reciprocal(retrieval.dense_ranked) + (reciprocal(retrieval.dense_ranked) if retrieval.english
                                                    else reciprocal(retrieval.lexical_ranked))) / 2
    return {
        "dense": max((h.dense or 0.0) for h in hits) if hits else 0.0,
        "sentence": sims[0] if sims else 0.0,
        "sentence_margin": sims[0] - float(np.mean(sims[3:13])) if len(sims) > 3 else 0.0,
        "coverage": retrieval.coverage,
        "known": retrieval.known,
        # coverage alone is 1.0 when the only corpus word of 「明天我们这边会不会下大雨」 is 我们: the
        # share of all the question's wording that the best passage holds does not have that blind spot
        "held": retrieval.coverage * retrieval.known,
        "agree": agree,
        "english": float(retrieval.english),
    }


def probability(values: dict[str, float], model: dict | None = None) -> float:
    model = model or calibration()["relevance"]
    if not model["weights"]:
        return 1.0   # no fitted model: never refuse on a guess
    x = (np.array([values[f] for f in model["features"]]) - model["mean"]) / model["scale"]
    z = float(x @ np.array(model["weights"]) + model["bias"])
    return 1 / (1 + math.exp(-z))


def decide(retrieval: Retrieval) -> Verdict:
    """Before composing: "answered" (so far) or "not_found"."""
    if not retrieval.hits:
        return Verdict("not_found", 0.0, "empty knowledge base")
    if retrieval.missing_article:
        return Verdict("not_found", 0.0, "no such article")
    if retrieval.other_law:
        return Verdict("not_found", 0.0, f"names {retrieval.other_law}, which the knowledge base does not hold")
    if retrieval.hits[0].article_match:
        return Verdict("answered", 1.0, "article look-up")
    values = features(retrieval)
    p = probability(values)
    outcome = "answered" if p >= calibration()["relevance"]["threshold"] else "not_found"
    return Verdict(outcome, p, ", ".join(f"{k} {v:.3f}" for k, v in values.items()) + f"; p {p:.3f}")


def check_stated(question: str, verdict: Verdict, answer_text: str) -> Verdict:
    """After composing: a question for a figure or a date whose answer states none is "not_stated"."""
    asked = asks_for(question)
    if verdict.found and asked and not states_figure(answer_text, question):
        return Verdict("not_stated", verdict.probability, f"asks for a {asked}; the passages state none",
                       MISSING[asked])
    return verdict


def fit(rows: list[dict[str, float]], labels: list[int], l2: float = 1.0, steps: int = 3000) -> dict:
    """Logistic regression on standardised features, by gradient descent (no extra dependency)."""
    X = np.array([[r[f] for f in FEATURES] for r in rows], dtype=float)
    y = np.array(labels, dtype=float)
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
    Z = (X - mean) / scale
    w, b = np.zeros(Z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        w -= 0.1 * (Z.T @ (p - y) / len(y) + l2 * w / len(y))
        b -= 0.1 * float(np.mean(p - y))
    return {"features": FEATURES, "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
            "weights": w.round(6).tolist(), "bias": round(b, 6)}

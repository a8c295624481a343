"""python -m bench.items [--store DIR] — the self-test's item bank, measured.

Counts per kind and the articles asked about; automatic checks over every objective item (its
options are of one type, none contains another, the key is not the one that stands out by length);
and a fixed random sample of 50 items (stem, options, key, source) written to bench/items.md for a
reviewer, with a column for their verdict. The numbers come from bench/items.json, written here.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from .evaluation import write_between_markers

ROOT = Path(__file__).resolve().parent.parent
OUT_JSON = ROOT / "bench" / "items.json"
OUT_MD = ROOT / "bench" / "items.md"
# A reviewer's verdicts on the sample (written by hand from the review, by item id): an item the
# generator no longer makes, or makes otherwise, has none and shows as not reviewed.
REVIEW = ROOT / "bench" / "items-review.json"
SAMPLE, SAMPLE_SEED = 50, 1133   # a fresh sample each review round (rounds 7–10: 1130–1133)
MARKERS = ("<!-- items:start -->", "<!-- items:end -->")
_FIGURE = re.compile(r"[\d.]+|[一二两三四五六七八九十百千万]+")
_MODALS = {"应当", "必须", "可以", "不得", "无须", "有权", "无权"}
_PARTY_HEAD = re.compile(r"(?:人民政府|部门|单位|机构|机关|调查组|委员会|人民检察院|公安机关|工会|负责人|人员|队伍)$")


def option_type(option: str) -> str:
    if _FIGURE.fullmatch(option):
        return "figure (digits)" if re.search(r"\d", option) else "figure (numerals)"
    if option in _MODALS:
        return "modal"
    if _PARTY_HEAD.search(option):
        return "party"
    return "term" if len(option) <= 12 else "statement"


def checks(item) -> dict[str, bool]:
    """Automatic checks of an objective item; True is a pass. A 多选's options are list items: of one
    shape (bodies, conducts or measures) rather than of one length."""
    from bot.generation import item_shape
    from bot.validation import NOT_LISTED

    options = item.options
    wrong = [o for o in options if o not in item.key_points and o != item.answer]
    key = [o for o in options if o not in wrong]
    from_list = item.kind == "multi" or NOT_LISTED in item.question   # options that are a list's items
    types = {item_shape(o) if from_list else option_type(o) for o in options}
    figures = all(_FIGURE.fullmatch(o) for o in options)
    lengths = {o: len(o) for o in options}
    longest, shortest = max(lengths.values()), min(lengths.values())
    # the key stands out when it alone is the longest or the shortest option (one key: 单选)
    stands_out = len(key) == 1 and (
        (lengths[key[0]] == longest and sum(v == longest for v in lengths.values()) == 1 and longest > shortest)
        or (lengths[key[0]] == shortest and sum(v == shortest for v in lengths.values()) == 1 and longest > shortest))
    return {"one type of option": len(types) == 1,
            "no option inside another": figures or not any(a != b and a in b for a in options for b in options),
            "key not singled out by length": not stands_out,
            "distinct options": len(set(options)) == len(options)}


def measure(items, chunks, current) -> dict:
    """`current`: the items a mock exam draws from (provisions no later one replaced); the sample is
    taken from those."""
    objective = [i for i in items if i.kind in ("choice", "multi")]
    results = {i.id: checks(i) for i in objective}
    names = list(next(iter(results.values()), {}))
    articles = {(c.source, c.article) for c in chunks if c.article}
    singled = [i for i in objective if i.kind == "choice" and not results[i.id]["key not singled out by length"]]
    choice = [i for i in objective if i.kind == "choice"]
    multi = [i for i in objective if i.kind == "multi"]
    mean = lambda xs: round(sum(xs) / len(xs), 1) if xs else 0.0   # noqa: E731
    # the items whose seeded hash is smallest: a change to some items changes only their places in the
    # sample, so a reviewer's verdicts on the rest still count
    sample = sorted(current, key=lambda i: hashlib.sha1(f"{SAMPLE_SEED}:{i.id}".encode()).hexdigest())[:SAMPLE]
    return {
        "items": len(items), "by_kind": dict(Counter(i.kind for i in items)), "in_force": len(current),
        "articles": len(articles), "articles_asked": len(articles & {(i.source, i.article) for i in items}),
        "checks": {n: sum(r[n] for r in results.values()) for n in names}, "objective": len(objective),
        "key_longest_share": round(sum(len(i.answer) > max(len(o) for o in i.options if o != i.answer)
                                       for i in choice) / max(len(choice), 1), 3),
        "key_singled_out": len(singled),
        "multi_key_length": mean([len(o) for i in multi for o in i.key_points]),
        "multi_wrong_length": mean([len(o) for i in multi for o in i.options if o not in i.key_points]),
        "sample": [{"id": i.id, "kind": i.kind, "question": i.question, "options": i.options, "answer": i.answer,
                    "key": i.key_points if i.kind == "multi" else [i.answer], "source": i.source,
                    "article": i.article, "checks": checks(i) if i.kind in ("choice", "multi") else {}}
                   for i in sample]}


def markdown(report: dict, review: dict | None = None) -> str:
    from bot.generation import KIND_NAMES

    verdicts = {v["id"]: v for v in (review or {}).get("verdicts", [])}
    reviewed = [verdicts[i["id"]] for i in report["sample"] if i["id"] in verdicts]
    kinds = "，".join(f"{KIND_NAMES[k]} {n}" for k, n in sorted(report["by_kind"].items(), key=lambda kv: -kv[1]))
    lines = ["# The self-test's item bank", "",
             "Generated by `python -m bench.items` from `bench/items.json`; do not edit by hand.", "",
             f"- items: **{report['items']}** ({kinds}); {report['in_force']} of them on provisions in force, "
             "which mock exams draw from",
             f"- law articles asked about: **{report['articles_asked']} / {report['articles']}**",
             f"- single choice whose key is longer than every wrong option: {report['key_longest_share']:.0%} "
             f"(chance: at most 25%); key the only longest or the only shortest: {report['key_singled_out']}",
             f"- 多选: mean length of right options {report['multi_key_length']} characters, "
             f"of wrong options {report['multi_wrong_length']}", "",
             "| automatic check (单选 and 多选) | passed |", "| --- | --- |"]
    lines += [f"| {name} | {n} / {report['objective']} |" for name, n in report["checks"].items()]
    if reviewed:
        lines += ["", f"Reviewer ({review['reviewer']}): **{sum(v['usable'] for v in reviewed)} of {len(reviewed)}** "
                      f"sampled items usable as they stand. {review['note']}"]
    lines += ["", f"## A fixed random sample of {SAMPLE} items (seed {SAMPLE_SEED}) for a reviewer", "",
              "Drawn from the items on provisions in force.", "",
              "Usable as it stands: a clear stem, exactly one defensible key, wrong options a trainee must know "
              "the law to reject. The reviewer's verdicts (`bench/items-review.json`) are in the last column.", "",
              "| # | kind | question | options | key | source | checks | usable? |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for n, item in enumerate(report["sample"], 1):
        options = "<br>".join(f"{'ABCDE'[k]}. {_cell(o)}" for k, o in enumerate(item["options"])) \
            if item["kind"] != "judge" else "正确 / 错误"
        failed = [name for name, ok in item["checks"].items() if not ok]
        verdict = verdicts.get(item["id"])
        usable = "not reviewed" if verdict is None else ("yes" if verdict["usable"] else f"no: {_cell(verdict['reason'])}")
        lines.append(f"| {n} | {KIND_NAMES[item['kind']]} | {_cell(item['question'])} | {options} | "
                     f"{_cell('；'.join(item['key']))} | {_cell(item['source'])} {item['article']} | "
                     f"{'⚠ ' + ', '.join(failed) if failed else ('ok' if item['checks'] else '—')} | {usable} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.items", description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    args = parser.parse_args(argv)
    from bot.generation import generate
    from bot.quiz import in_force
    from bot.service import open_service
    from ingest.settings import Settings

    settings = Settings.from_env()
    if args.store:
        settings = replace(settings, store_dir=args.store)
    service = open_service(settings)
    snapshot = service.retriever.snapshot()
    items, _ = generate(snapshot.chunks, embedder=service.kb.embedder)
    report = measure(items, snapshot.chunks, in_force(items, snapshot))
    OUT_JSON.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    review = json.loads(REVIEW.read_text(encoding="utf-8")) if REVIEW.exists() else None
    text = markdown(report, review)
    OUT_MD.write_text(text, encoding="utf-8")
    summary = text.split("## A fixed")[0].split("do not edit by hand.", 1)[1].strip()
    for path in (ROOT / "README.md", ROOT / "bench" / "results.md"):
        write_between_markers(path, summary, MARKERS)
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

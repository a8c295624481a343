"""python -m bench [--quick] — quality and speed, written to bench/results.md and bench/latency.png.

Quality: the evaluation set through our pipeline, BM25 only, dense only, the tutorial pipeline
and the tutorial splitter with our embedder. Speed: warm ask latency split into retrieval and
composition, cold start, the app's peak memory, ingestion against the raw encode rate at 1 and
2 threads, cost at 1k/10k/100k chunks in embedded Chroma and a Chroma server, and 1/4/16
concurrent gradio_client users. --quick uses smaller sizes so CI can run it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HERE = ROOT / "bench"
HIGHLIGHTS = ("<!-- bench:start -->", "<!-- bench:end -->")
WORK = HERE / "work"
EVAL = ROOT / "eval" / "test.jsonl"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values, q) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


# --- quality -----------------------------------------------------------------------

def quality(kb, data_dir) -> list[dict]:
    from bot.eval import evaluate, read_questions

    from .pipelines import Tutorial, minilm, ours

    questions = read_questions(EVAL)
    rows = []
    for name, pipeline in [("this project (hybrid)", ours(kb)), ("BM25 only", ours(kb, "bm25")),
                           ("dense only (e5)", ours(kb, "dense"))]:
        log(f"quality: {name}")
        summary, _ = evaluate(pipeline, questions)
        rows.append({"pipeline": name, **summary})
    encode_passages, encode_query = minilm()
    log("quality: tutorial pipeline (splitter 1000/200, all-MiniLM-L6-v2, top 4)")
    summary, _ = evaluate(Tutorial(data_dir, encode_passages, encode_query), questions)
    rows.append({"pipeline": "tutorial: splitter 1000/200 + all-MiniLM-L6-v2", **summary})
    log("quality: tutorial splitter + e5")
    e5 = Tutorial(data_dir, lambda texts: kb.embedder.passages(list(texts)), kb.embedder.query)
    summary, _ = evaluate(e5, questions)
    rows.append({"pipeline": "tutorial splitter 1000/200 + e5 (ours)", **summary})
    return rows


# --- speed -------------------------------------------------------------------------

def warm_latency(kb) -> dict:
    from bot import relevance
    from bot.answer import Answerer, contextualize
    from bot.eval import read_questions
    from bot.retrieval import Retriever

    retriever = Retriever(kb)
    answerer = Answerer(kb, retriever)
    questions = [q["question"] for q in read_questions(EVAL)]
    answerer.ask(questions[0])
    retrieval, compose, total = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        found = retriever.retrieve(contextualize(q, None), 5)
        verdict = relevance.decide(found)
        t1 = time.perf_counter()
        if verdict.found:
            answerer.compose(q, found)
        t2 = time.perf_counter()
        retrieval.append((t1 - t0) * 1000)
        compose.append((t2 - t1) * 1000)
        total.append((t2 - t0) * 1000)
    return {"questions": len(questions), "total_p50_ms": percentile(total, 50), "total_p95_ms": percentile(total, 95),
            "retrieval_p50_ms": percentile(retrieval, 50), "retrieval_p95_ms": percentile(retrieval, 95),
            "compose_p50_ms": percentile(compose, 50), "compose_p95_ms": percentile(compose, 95)}


def cold_start_cli(store: Path, runs: int = 5) -> float:
    """Median over `runs` new processes of `python -m bot ask`, from launch to exit."""
    env = {**os.environ, "KB_STORE_DIR": str(store), "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "“三个必须”具体指什么？"], env=env, cwd=ROOT,
                       capture_output=True, check=True, timeout=600)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 1)


def ingest_rate(threads: int) -> dict:
    """Run in a child process: thread pools are fixed at the first torch import."""
    out = subprocess.run([sys.executable, "-m", "bench", "_ingest_rate", str(threads)], cwd=ROOT, capture_output=True,
                         text=True, timeout=3600, env={**os.environ, "KB_THREADS": str(threads),
                                                       "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)})
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ingest_rate_child(threads: int) -> None:
    from ingest.chunking import chunk_document
    from ingest.kb import KnowledgeBase
    from ingest.loaders import load
    from ingest.pipeline import kb_files
    from ingest.settings import Settings

    root = WORK / f"rate-{threads}"
    shutil.rmtree(root, ignore_errors=True)
    settings = replace(Settings.from_env(), store_dir=root / "store", threads=threads)
    kb = KnowledgeBase(settings)
    texts = [c.embedding_text() for p in kb_files(settings.data_dir)
             for c in chunk_document(load(p), settings.chunk_chars, settings.overlap_sentences)]
    kb.embedder.passages(texts[:16])
    started = time.perf_counter()
    kb.embedder.passages(texts)
    raw = len(texts) / (time.perf_counter() - started)
    started = time.perf_counter()
    report = kb.ingest()
    e2e = report.chunks_embedded / (time.perf_counter() - started)
    shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({"threads": threads, "chunks": len(texts), "raw_encode_per_s": round(raw, 2),
                      "ingest_per_s": round(e2e, 2), "ratio": round(e2e / raw, 3)}))


def backends(kb, settings) -> list[dict]:
    """torch against ONNX Runtime fp32 and int8: encode rate, agreement, and quality on the eval set."""
    from bot.eval import evaluate, read_questions
    from ingest.chunking import chunk_document
    from ingest.kb import KnowledgeBase
    from ingest.loaders import load
    from ingest.pipeline import kb_files

    from ingest.embedding import Embedder, OnnxEmbedder

    from .onnx_backend import encode_rate, export
    from .pipelines import ours

    texts = [c.embedding_text() for p in kb_files(settings.data_dir)
             for c in chunk_document(load(p), settings.chunk_chars, settings.overlap_sentences)]
    reference = kb.embedder.passages(texts)
    fp32, int8 = export(settings.model_dir, WORK / "onnx")
    rows = []
    for name, embedder in [("torch fp32", Embedder(settings)),
                           ("onnxruntime fp32 (default)", OnnxEmbedder(settings, fp32)),
                           ("onnxruntime int8", OnnxEmbedder(settings, int8))]:
        log(f"backend: {name}")
        rate = encode_rate(embedder, texts)
        agreement = float(np.min(np.sum(embedder.passages(texts) * reference, axis=1)))
        store = WORK / f"backend-{len(rows)}"
        shutil.rmtree(store, ignore_errors=True)
        trial = KnowledgeBase(replace(settings, store_dir=store), embedder=embedder)
        trial.ingest()
        summary, _ = evaluate(ours(trial), read_questions(EVAL))
        rows.append({"backend": name, "passages_per_s": round(rate, 2), "min_cosine_to_torch": round(agreement, 4),
                     **{k: summary[k] for k in ("hit@1", "hit@3", "mrr", "evidence_in_answer", "refusal_accuracy",
                                                "false_refusal_rate")}})
    return rows


# --- the running app -----------------------------------------------------------------

class App:
    def __init__(self, store: Path, port: int, env: dict | None = None):
        import gradio_client  # noqa: F401 - imported before the clock starts: the client's cost is not the app's

        self.url = f"http://127.0.0.1:{port}/"
        env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), "--store",
                                         str(store)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

    def first_answer_s(self) -> float:
        from gradio_client import Client

        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                Client(self.url, verbose=False).predict("三个必须的具体内容是什么？", None, api_name="/ask")
                return round(time.perf_counter() - self.started, 1)
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)
        raise RuntimeError("the app did not answer within 600 s")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def concurrency(apps: list[App], users: int, per_user: int, questions: list[str]) -> dict:
    """`users` gradio_client users asking at once, spread over the app processes in turn."""
    from gradio_client import Client

    latencies, failures = [], []
    lock = threading.Lock()

    def user(n: int):
        client = Client(apps[n % len(apps)].url, verbose=False)
        for i in range(per_user):
            question = questions[(n * per_user + i) % len(questions)]
            started = time.perf_counter()
            try:
                data = client.predict(question, None, api_name="/ask")
                assert "answer" in data
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
            except Exception as exc:  # noqa: BLE001 - counted, reported
                with lock:
                    failures.append(repr(exc))

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"processes": len(apps), "users": users, "requests": len(latencies) + len(failures), "failures": len(failures),
            "throughput_per_s": round(len(latencies) / wall, 2), "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95)}


def two_processes(users: list[int], per_user: int, questions: list[str]) -> list[dict]:
    """The load test again with two app processes sharing one `chroma run` server and one app
    database, the users spread over both (how a bureau serves many users)."""
    from ingest.chroma_server import ChromaServer, free_port

    server = ChromaServer(WORK / "two-apps-server").start()
    shared = WORK / "two-apps"
    env = {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(server.port), "KB_COLLECTION": "bench_two",
           "KB_APP_DB": str(shared / "app.sqlite3")}
    apps = []
    try:
        apps.append(App(shared / "a", free_port(), env))
        apps[0].first_answer_s()          # the first ingests into the server; the second finds it done
        apps.append(App(shared / "b", free_port(), env))
        apps[1].first_answer_s()
        return [concurrency(apps, u, per_user, questions) for u in users]
    finally:
        for app in apps:
            app.stop()
        server.stop()


# --- report ------------------------------------------------------------------------

def table(rows: list[dict], columns: list[str]) -> str:
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(str(r.get(c, "")) for c in columns) + " |\n" for r in rows)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    import torch
    return (f"{cpu}, {os.cpu_count()} cores, {int(mem) / 1e6:.0f} GB RAM; Python {platform.python_version()}, "
            f"torch {torch.__version__}, {platform.platform()}")


def plot(scale_rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for mode, style in (("embedded", "o-"), ("server", "s--")):
        rows = [r for r in scale_rows if r["mode"] == mode]
        if rows:
            x = [r["chunks"] for r in rows]
            ax.plot(x, [r["retrieval_p50_ms"] for r in rows], style, label=f"{mode} p50")
            ax.plot(x, [r["retrieval_p95_ms"] for r in rows], style, alpha=0.5, label=f"{mode} p95")
    ax.axhline(150, color="grey", linestyle=":", label="target p50 at 100k")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the knowledge base")
    ax.set_ylabel("retrieval latency (ms)")
    ax.set_title("Hybrid retrieval latency against corpus size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_ingest_rate"]:
        _ingest_rate_child(int(argv[1]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    args = parser.parse_args(argv)

    from bot.eval import read_questions
    from ingest.chroma_server import ChromaServer, free_port
    from ingest.embedding import limit_threads
    from ingest.kb import KnowledgeBase
    from ingest.settings import Settings

    limit_threads(1)
    from . import scale

    sizes = [1000] if args.quick else [1000, 10_000, 100_000]
    users = [1, 4] if args.quick else [1, 4, 16]
    WORK.mkdir(parents=True, exist_ok=True)
    store = WORK / "store"
    shutil.rmtree(store, ignore_errors=True)
    settings = replace(Settings.from_env(), store_dir=store)
    kb = KnowledgeBase(settings)
    log("ingesting data/ into a fresh bench store")
    kb.ingest()

    results: dict = {"machine": machine(), "quick": args.quick}
    results["quality"] = quality(kb, settings.data_dir)
    log("warm latency")
    results["warm"] = warm_latency(kb)
    log("ingestion rate at 1 and 2 threads")
    results["ingest"] = [ingest_rate(1), ingest_rate(2)]
    results["backends"] = backends(kb, settings)

    questions = [q["question"] for q in read_questions(EVAL)]
    got = kb.store.chunks.get(include=["documents", "embeddings"])
    base = list(zip(got["documents"], np.asarray(got["embeddings"], dtype=np.float32)))
    sentences = sorted({s.strip() for text, _ in base for s in scale.split_sentences(text) if 12 <= len(s) <= 160})
    results["scale"] = []
    server = ChromaServer(WORK / "chroma-server").start()
    try:
        for n in sizes:
            for srv in (None, server):
                log(f"scale: {n} chunks, {'server' if srv else 'embedded'}")
                results["scale"].append(scale.run_size(settings, kb.embedder, base, sentences, n, WORK,
                                                       questions[:40], srv))
    finally:
        server.stop()

    log("cold start and the running app")
    results["cold_cli_s"] = cold_start_cli(store)
    del kb
    app = App(store, port=free_port())
    try:
        results["cold_app_s"] = app.first_answer_s()
        results["concurrency"] = [concurrency([app], u, 6 if args.quick else 8, questions) for u in users]
        results["app_peak_rss_mb"] = app.peak_rss_mb()
    finally:
        app.stop()
    log("two app processes on one Chroma server")
    results["concurrency"] += two_processes(users, 6 if args.quick else 8, questions)
    log("many small files")
    results["small_files"] = scale.small_files(settings, 1000 if args.quick else 10_000, WORK)

    png = args.out.with_name("latency.png")
    plot(results["scale"], png)
    args.out.write_text(render(results, png.name), encoding="utf-8")
    from .evaluation import GRADING_MARKERS, RESULTS, grading_table, load_grading, load_results, table, write_between_markers

    if (RESULTS / "test.json").exists() and (RESULTS / "test-old-gate.json").exists():
        # the test splits' tables, from their results files (python -m bench.evaluation writes them)
        write_between_markers(args.out, table(load_results()))
    if (RESULTS / "grading-test2.json").exists():
        write_between_markers(args.out, grading_table(load_grading()), GRADING_MARKERS)
    (args.out.with_suffix(".json")).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.quick:   # README quotes the full run
        write_between_markers(ROOT / "README.md", highlights(results), HIGHLIGHTS)
    shutil.rmtree(WORK, ignore_errors=True)
    log(f"wrote {args.out} and {png}")
    return 0


def highlights(r: dict) -> str:
    """README's summary of a full run, from its results (bench/results.json)."""
    rows = {q["pipeline"]: q for q in r["quality"]}
    shown = [("this project (hybrid)", "**this project**"), ("dense only (e5)", "dense only (same chunks, e5)"),
             ("tutorial: splitter 1000/200 + all-MiniLM-L6-v2", "tutorial: splitter 1000/200 + all-MiniLM-L6-v2, top 4"),
             ("tutorial splitter 1000/200 + e5 (ours)", "tutorial splitter + e5")]
    keys = ["hit@1", "hit@3", "hit@5", "mrr", "evidence_in_answer", "refusal_accuracy", "false_refusal_rate"]
    lines = [f"| pipeline, on the frozen test split ({rows[shown[0][0]]['questions']} questions) | hit@1 | hit@3 | hit@5 "
             "| MRR | evidence in answer | refusal acc. | false refusals |", "| --- |" + " --- |" * len(keys)]
    lines += [f"| {label} | " + " | ".join(str(rows[name][k]) for k in keys) + " |" for name, label in shown if name in rows]
    w, ingest, small = r["warm"], r["ingest"], r["small_files"]
    backends = {b["backend"].split(" (")[0]: b for b in r["backends"]}
    big = [s for s in r["scale"] if s["mode"] == "embedded"]
    server = [s for s in r["scale"] if s["mode"] == "server"][-1]
    one = [c for c in r["concurrency"] if c["processes"] == 1]
    two = [c for c in r["concurrency"] if c["processes"] == 2]
    per = " / ".join
    sizes = per(f"{s['chunks']:,}" for s in big)
    lines += ["", f"- Warm `ask`: p50 {w['total_p50_ms']} ms, p95 {w['total_p95_ms']} ms (retrieval "
              f"{w['retrieval_p50_ms']} ms, most of it the e5 query embedding; composing {w['compose_p50_ms']} ms).",
              f"- Cold start: `python -m bot ask` from a new process {r['cold_cli_s']} s (median of 5); the app serves "
              f"its first answer {r['cold_app_s']} s after launch. Peak RSS of the app after the load test "
              f"{r['app_peak_rss_mb'] / 1000:.2f} GB (the fp32 model is 470 MB).",
              f"- Ingestion: {ingest[0]['ingest_per_s']} chunks/s end to end at 1 thread, {ingest[1]['ingest_per_s']} at 2, "
              f"against {ingest[0]['raw_encode_per_s']} / {ingest[1]['raw_encode_per_s']} passages/s of raw encoding (the "
              f"end-to-end rate includes a vector per sentence). {small['files']:,} small files ingest in "
              f"{small['ingest_s']} s; an unchanged re-run takes {small['reingest_s']} s.",
              "- Backends: " + "; ".join(f"{name} {b['passages_per_s']} passages/s, hit@1 {b['hit@1']}"
                                         for name, b in backends.items()) + ".",
              f"- Scale: retrieval p50 {per(str(s['retrieval_p50_ms']) for s in big)} ms at "
              f"{sizes} chunks embedded "
              f"({server['retrieval_p50_ms']} ms on the server at {server['chunks']:,}); the lexical index after one "
              f"document changed updates in {big[-1]['update_s']} s, a restart reads it in {big[-1]['restart_s']} s.",
              f"- Load: {per(str(c['users']) for c in one)} concurrent `gradio_client` users on one app process: "
              f"{per(str(c['throughput_per_s']) for c in one)} answers/s, p95 {per(str(c['p95_ms']) for c in one)} ms; "
              f"on two processes sharing one `chroma run` server {per(str(c['throughput_per_s']) for c in two)} answers/s; "
              f"failures: {sum(c['failures'] for c in r['concurrency'])}."]
    return "\n".join(lines)


def render(r: dict, png: str) -> str:
    q_cols = ["pipeline", "hit@1", "hit@3", "hit@5", "mrr", "evidence_in_answer", "refusal_accuracy",
              "false_refusal_rate", "latency_p50_ms"]
    s_cols = ["mode", "chunks", "ingest_s", "ingest_chunks_per_s", "reingest_s", "store_mb", "snapshot_s",
              "restart_s", "update_s", "bm25_mb", "retrieval_p50_ms", "retrieval_p95_ms"]
    return f"""# Benchmarks

Re-run with `make bench` (or `python -m bench`; `--quick` for the small sizes CI runs).
{"**This is a --quick run (small sizes).**" if r["quick"] else ""}

Machine: {r["machine"]}

## Answer quality on the frozen test split (eval/test.jsonl)

{table(r["quality"], q_cols)}
The tutorial pipelines never refuse, so their refusal accuracy is 0 and their "answer" is four raw chunks.
"BM25 only" and "dense only" go through the same relevance decision, fitted on the hybrid's signals:
without the dense signals it relies on, BM25 alone is refused almost always.

## Warm `ask` latency (in process, {r["warm"]["questions"]} questions, 1 thread)

{table([r["warm"]], list(r["warm"]))}
Cold start: `python -m bot ask` from a new process {r["cold_cli_s"]} s; the app from launch to its first
answer {r["cold_app_s"]} s. Peak RSS of the app after the load test: {r["app_peak_rss_mb"]} MB.

## Ingestion: end to end against the embedder's raw encode rate (same chunks)

{table(r["ingest"], list(r["ingest"][0]))}
## Embedder backends (1 thread; quality with a store built by each)

{table(r["backends"], list(r["backends"][0]))}
## Scale (synthetic corpora of real sentences; vectors mixed from real e5 vectors, see bench/scale.py)

{table(r["scale"], s_cols)}
snapshot_s: a first start builds the lexical index from every chunk in the store; restart_s: a
restarted process reads the per-document segments saved beside the store; update_s: the index after
one document (1,000 articles) changed, in a running process.

![latency against corpus size]({png})

## Many small files (one short article each; vectors from the stand-in of bench/scale.py)

{table([r["small_files"]], list(r["small_files"]))}

## Concurrent users through gradio_client (one app process, then two on one Chroma server)

{table(r["concurrency"], list(r["concurrency"][0]))}
"""


if __name__ == "__main__":
    sys.exit(main())

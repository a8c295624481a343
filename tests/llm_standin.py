"""A scripted OpenAI-compatible chat server on loopback: a stand-in for a real LLM, which
cannot run here. The model name picks the behaviour:

  faithful   copies the first sentence of passage [1] and cites it
  inventor   copies that sentence but cites [7], which was never given
  ignorer    ignores the passages and makes something up, without markers
  mixed      one supported sentence [1] and one invented sentence [2]
"""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _first_sentence_of_passage_one(prompt: str) -> str:
    block = prompt.split("[1] ", 1)[1].split("\n\n[2]", 1)[0].split("\n\n问题：", 1)[0]
    body = block.split("\n", 1)[1]
    return re.split(r"(?<=[。；！？])", body.strip())[0]


def reply_for(model: str, prompt: str) -> str:
    first = _first_sentence_of_passage_one(prompt)
    return {
        "faithful": f"{first}[1]",
        "inventor": f"{first}[7]",
        "ignorer": "根据我的经验，企业每年必须缴纳三百万元安全保证金，并由消防队统一管理。",
        "mixed": f"{first}[1]月球基地每季度开展一次登月安全演练。[2]",
    }[model]


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.requests.append(body)
        prompt = body["messages"][-1]["content"]
        text = reply_for(body["model"], prompt)
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i in range(0, len(text), 8):
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "delta": {"content": text[i:i + 8]}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class StandInLLM:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.requests = _Handler.requests
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()

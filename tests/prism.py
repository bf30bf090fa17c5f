"""Prism (@stoplight/prism-cli) as a validating proxy in front of a Mailchimp-compatible server.

    client -> Prism http://127.0.0.1:P  (spec paths: /campaigns, /lists/...)
           -> upstream http://127.0.0.1:Q/3.0 (Prism joins the upstream path and the spec path)

With --errors, Prism answers 422 (request) or 500 type .../errors#VIOLATIONS (response)
instead of forwarding what does not conform to Mailchimp's OpenAPI document, and logs a line
for each. `violations()` reads those lines for a test, after a barrier request that proves the
log has caught up (Prism logs asynchronously).

The spec is served with one overlay: POST operations that take no body accept an empty JSON
body (`null`). The official Python client sends the literal `null` for send and unschedule,
and Mailchimp accepts it; unpatched, Prism rejects it with 415/422 before it reaches the server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "mailchimp_spec" / "mailchimp.json"
PRISM_BIN = ROOT / "node_modules" / ".bin" / "prism"
STARTUP_TIMEOUT = 60.0
BARRIER_TIMEOUT = 10.0
VIOLATION_MARKERS = (
    "Violation:",
    "errors#VIOLATIONS",
    "errors#UNPROCESSABLE_ENTITY",
    "errors#NO_PATH_MATCHED_ERROR",
    "errors#NO_METHOD_MATCHED_ERROR",
)
NULL_BODY = {
    "required": False,
    "content": {"application/json": {"schema": {"type": "object", "nullable": True,
                                                "maxProperties": 0}}},
}


def write_spec(folder, spec=SPEC):
    """The spec with the `null`-body overlay, written into `folder`; returns its path."""
    document = json.loads(Path(spec).read_text(encoding="utf-8"))
    for operations in document["paths"].values():
        post = operations.get("post")
        if post is not None and "requestBody" not in post:
            post["requestBody"] = NULL_BODY
    path = Path(folder) / "mailchimp.prism.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrismError(RuntimeError):
    pass


class Prism:
    """One Prism proxy process; `url` is the base URL a Mailchimp client should use."""

    def __init__(self, upstream, folder=None, spec=SPEC):
        self.upstream = upstream
        self._tmp = None if folder else tempfile.TemporaryDirectory(prefix="prism-")
        self.folder = Path(folder or self._tmp.name)
        self.spec = spec
        self.log_path = self.folder / "prism.log"
        self.process = None
        self.port = None
        self.startup_seconds = None
        self._offset = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        if not PRISM_BIN.exists():
            raise PrismError(f"{PRISM_BIN} is missing: run `npm ci` in {ROOT}")
        spec = write_spec(self.folder, self.spec)
        env = {k: v for k, v in os.environ.items() if k != "NODE_ENV"}
        env["FORCE_COLOR"] = "0"
        began = time.monotonic()
        for _ in range(3):
            self.port = free_port()
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(
                    [str(PRISM_BIN), "proxy", str(spec), self.upstream, "--errors",
                     "-h", "127.0.0.1", "-p", str(self.port)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    cwd=ROOT, env=env, start_new_session=True,
                )
            if self._wait_until_listening():
                self.startup_seconds = time.monotonic() - began
                return self
            if "EADDRINUSE" not in self.log():
                break
        output = self.log()
        self.stop()
        raise PrismError(f"Prism did not start:\n{output[-4000:]}")

    def _wait_until_listening(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def barrier(self):
        """Log lines since the last barrier, up to one that proves Prism has caught up.

        Prism logs through an asynchronous stream, in order: once the line for a request sent
        now appears whole, every earlier request's lines are in the file too.
        """
        token = f"__barrier__{uuid.uuid4().hex}"
        try:
            urllib.request.urlopen(f"{self.url}/{token}", timeout=BARRIER_TIMEOUT).close()
        except urllib.error.HTTPError as answer:
            answer.close()
        deadline = time.monotonic() + BARRIER_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as log:
                log.seek(self._offset)
                lines = log.read().decode("utf-8", "replace").splitlines(keepends=True)
            for index, line in enumerate(lines):
                # A line still being written ends without a newline: its rest (here,
                # "with error: ...NO_PATH_MATCHED") must not start the next window.
                if token in line and "Request terminated" in line and line.endswith("\n"):
                    self._offset += len("".join(lines[: index + 1]).encode())
                    return [text.strip() for text in lines[:index] if token not in text]
            if self.process.poll() is not None:
                raise PrismError(f"Prism exited:\n{''.join(lines)[-4000:]}")
            time.sleep(0.02)
        raise PrismError(f"Prism did not log the barrier request within {BARRIER_TIMEOUT} s")

    def violations(self):
        """Violations Prism logged since the previous call (or since it started)."""
        return [line for line in self.barrier() if any(m in line for m in VIOLATION_MARKERS)]

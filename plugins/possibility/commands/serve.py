"""Serve the built site on 127.0.0.1, as it will look once deployed.

A production build (`invoke preview`, `invoke publish`) writes absolute links to its SITEURL
(https://www.thepossibilitypractice.com): served as they are, every stylesheet, link and feed
would point at the live site. The server rewrites that address into its own
(http://127.0.0.1:PORT) in each text response (HTML, CSS, XML, JSON, JavaScript, plain text)
as it sends it; the files on disk stay exactly what would be deployed. A local build
(relative links) is served as it is.

Which SITEURL the output was built for: the home page's `<link rel="canonical">` says (a
production build writes it, a local one does not).

Also: `/slug/` serves `slug/index.html`, `/name` serves `name.html` when there is no `name`,
and a missing path answers 404 with the site's `404.html`.
"""

import http.server
import io
import os
import re
import shutil
import urllib.parse
from pathlib import Path

from possibility.common import PossibilityError

HOST = "127.0.0.1"  # never another interface: this is a preview of unpublished work
NOT_FOUND_PAGE = "404.html"
TEXT_TYPES = {
    "application/json", "application/javascript", "application/xml",
    "application/x-javascript", "application/ecmascript",
}
_CANONICAL = re.compile(
    rb"""<link\s+rel=["']?canonical["']?\s+href=["']([^"']+)["']""", re.IGNORECASE
)


class ServeError(PossibilityError):
    """There is nothing to serve; the message says what to run first."""


# What the output was built for


def built_for(output):
    """The absolute SITEURL the site in `output` was built with; "" for a local build.

    Read from the home page's `<link rel="canonical">`, which only a build with an absolute
    SITEURL writes, so it is always the address of the build being served.
    """
    try:
        home = (Path(output) / "index.html").read_bytes()
    except OSError:
        return ""
    found = _CANONICAL.search(home)
    if found:
        url = found.group(1).decode("utf-8", "replace")
        if urllib.parse.urlsplit(url).scheme in ("http", "https"):
            return url.rstrip("/")
    return ""


# Rewriting


def is_text(content_type):
    """Whether a response of this type is text the site's address may appear in."""
    kind = content_type.split(";")[0].strip().lower()
    return (kind.startswith("text/") or kind in TEXT_TYPES
            or kind.endswith("+xml") or kind.endswith("+json"))


def make_rewriter(siteurl, local_url):
    """A function that turns `siteurl` (and its JSON-escaped form) into `local_url` in bytes.

    Only the address itself: https://example.org is not rewritten inside
    https://example.org.evil.com, https://example.org:8443 or https://example.organic.
    """
    siteurl = siteurl.rstrip("/")
    if not siteurl:
        return lambda body: body
    forms = {siteurl: local_url, siteurl.replace("/", "\\/"): local_url.replace("/", "\\/")}
    replacements = {key.encode(): value.encode() for key, value in forms.items()}
    pattern = re.compile(
        b"(?:" + b"|".join(re.escape(key) for key in replacements) + rb")(?![\w.:-])"
    )
    return lambda body: pattern.sub(lambda m: replacements[m.group(0)], body)


# The server


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serve the output folder; text responses with the built SITEURL made local."""

    def __init__(self, request, client_address, server):
        super().__init__(request, client_address, server, directory=server.root)

    def send_head(self):
        url_path = urllib.parse.urlsplit(self.path).path
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not url_path.endswith("/"):  # /slug -> /slug/, as a web host does
                parts = urllib.parse.urlsplit(self.path)
                self.send_response(301)
                self.send_header("Location", urllib.parse.urlunsplit(
                    ("", "", parts.path + "/", parts.query, parts.fragment)))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            path = path / "index.html"
        elif url_path.endswith("/"):  # a file asked for as a folder
            path = None
        elif not path.exists() and path.name:  # /name -> name.html
            path = path.with_name(path.name + ".html")
        if path is None or not path.is_file():
            self.send_error(404, "Not found")
            return None
        return self._send_file(200, path)

    def send_error(self, code, message=None, explain=None):
        page = Path(self.server.root) / NOT_FOUND_PAGE
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        self.log_error("code %d, message %s", code, message)
        body = self._send_file(404, page, close=True)
        if self.command != "HEAD":
            shutil.copyfileobj(body, self.wfile)

    def _send_file(self, status, path, close=False):
        """Send the status and headers for `path`; return its (rewritten) body to copy."""
        content_type = self.guess_type(str(path))
        body = path.read_bytes()
        if is_text(content_type):
            body = self.server.rewrite(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format, *args):
        if self.server.quiet:
            return
        super().log_message(format, *args)


class SiteServer(http.server.ThreadingHTTPServer):
    """A threaded server of one output folder, on 127.0.0.1 only, reusing its address."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, output, siteurl="", port=8000, quiet=False):
        self.root = str(Path(output).resolve())
        self.quiet = quiet
        super().__init__((HOST, int(port)), SiteHandler)
        self.siteurl = siteurl.rstrip("/")
        self.local_url = f"http://{HOST}:{self.server_address[1]}"
        self.rewrite = make_rewriter(self.siteurl, self.local_url)

    def describe(self, project=None):
        """One line: what is served, built for what, shown where."""
        folder = _shown_folder(self.root, project)
        if self.siteurl:
            return (f"Serving {folder} (built for {self.siteurl}, shown as {self.local_url})"
                    " (Ctrl-C to stop)")
        return f"Serving {folder} (a local build) at {self.local_url}/ (Ctrl-C to stop)"


def serve_output(output, *, port=8000, project=None, quiet=False):
    """A SiteServer for `output`, rewriting the SITEURL it was built for; not started yet.

    `port` 0 lets the system choose a free one (the server's `local_url` says which);
    `project` is the folder the output is named relative to in messages.
    """
    if not Path(output).is_dir():
        raise ServeError(f"there is no {_shown_folder(output, project)} to serve yet: "
                         "run invoke build (local) or invoke preview (production) first")
    try:
        return SiteServer(output, built_for(output), port=port, quiet=quiet)
    except OSError as exc:
        raise ServeError(f"cannot serve on {HOST}:{port} ({exc.strerror or exc}): "
                         "stop what uses that port, or pass another with --port") from None


def _shown_folder(folder, project=None):
    """`folder` as the author knows it: `output/` inside the project, else its full path."""
    folder = Path(folder).resolve()
    if project is not None and folder.is_relative_to(Path(project).resolve()):
        return f"{folder.relative_to(Path(project).resolve()).as_posix()}/"
    return os.fspath(folder)

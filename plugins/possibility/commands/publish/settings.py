"""Every PUBLISH_* and DEPLOY_* setting, read and checked in one place, with its default.

Each setting may be written in `publishconf.py` or given as an environment variable of
the same name (the environment wins; an empty variable counts as unset, so a CI that
passes an undefined variable gets the default). `load_environment` first reads an
untracked `.env` in the project folder; variables already set are kept.

DEPLOY_TARGET [""]
    Where the site goes: "" or "none" (it stays in output/), "rsync", "ghpages" or "s3".
DEPLOY_RSYNC_PATH [""]
    rsync's destination folder: on DEPLOY_SSH_HOST, or on this machine when no host is set.
DEPLOY_SSH_HOST [""], DEPLOY_SSH_USER [""], DEPLOY_SSH_PORT [22]
    The SSH server rsync writes to (user: ssh's own default when empty).
DEPLOY_SSH_KEY [""]
    Path of the private key ssh uses (ssh's own default when empty). Never read here.
DEPLOY_SSH_OPTIONS [""]
    More ssh options, as on a command line, e.g. "-o StrictHostKeyChecking=accept-new".
DEPLOY_GHPAGES_BRANCH ["gh-pages"], DEPLOY_GHPAGES_REMOTE ["origin"]
    The branch ghp-import writes and the remote (name or URL) it is pushed to.
DEPLOY_GHPAGES_REPO [the project folder]
    The git checkout that holds the branch.
DEPLOY_GHPAGES_MESSAGE ["Publish the site"], DEPLOY_GHPAGES_CNAME [""],
DEPLOY_GHPAGES_NOJEKYLL [True]
    The branch commit's message, a CNAME file's content, and whether to add `.nojekyll`.
DEPLOY_S3_BUCKET [""], DEPLOY_S3_PREFIX [""]
    The bucket and the key prefix the site lives under. Keys under it that are not in
    the site are deleted: the bucket (or prefix) must hold this site only.
DEPLOY_S3_ENDPOINT_URL [""], DEPLOY_S3_REGION [""]
    An S3-compatible service's address (empty: AWS) and region (empty: boto3's default).
    Keys come from boto3's own sources: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...
DEPLOY_S3_CACHE_CONTROL [{}]
    Cache-Control per kind of file, replacing any of `deploy_s3.CACHE_CONTROL`'s values
    (kinds: document, asset, media, immutable). In the environment: a JSON object.
DEPLOY_S3_WORKERS [8]
    Uploads at once.
DEPLOY_EXCLUDE [the newsletter's folder, NEWSLETTER_OUTPUT_DIR: "newsletter"]
    Top-level folders or files of output/ that stay on this machine: the email previews
    are for the author's review (with sample unsubscribe links), not for the public site.
    In the environment: comma-separated; an explicit empty list deploys everything.
PUBLISH_VERIFY ["auto"]
    Check that each post about to be emailed is live: "auto" (for remote targets only),
    "yes" or "no".
PUBLISH_VERIFY_TIMEOUT [10], PUBLISH_VERIFY_RETRIES [6], PUBLISH_VERIFY_BACKOFF [2]
    Seconds per request; tries after the first; seconds before the first retry, doubled
    after each (at most 60), for a CDN or a server that is slow to show a new page.
PUBLISH_LOCK_FILE [".cache/publish.lock"]
    The lock that stops two publishes at once (relative to the project folder).
"""

import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from possibility.commands.publish.deploy.s3 import CACHE_CONTROL
from possibility.common import SettingsError, choice, number

TARGETS = ("none", "rsync", "ghpages", "s3")
VERIFY_MODES = ("auto", "yes", "no")
SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "MAILCHIMP_API_KEY")


class PublishSettingsError(SettingsError):
    """A PUBLISH_*/DEPLOY_* setting cannot be used; the message names it and the fix."""


@dataclass(frozen=True)
class RsyncSettings:
    path: str
    host: str = ""
    user: str = ""
    port: int = 22
    key: Path | None = None
    ssh_options: tuple = ()

    @property
    def is_local(self):
        return not self.host

    @property
    def destination(self):
        folder = self.path.rstrip("/") + "/"
        if self.is_local:
            return folder
        login = f"{self.user}@{self.host}" if self.user else self.host
        return f"{login}:{folder}"

    @property
    def where(self):
        """The destination for people: host, port and folder (never the key)."""
        if self.is_local:
            return f"the folder {self.path}"
        port = f" port {self.port}" if self.port != 22 else ""
        return f"{self.destination} (ssh{port})"


@dataclass(frozen=True)
class GhPagesSettings:
    repo: Path
    remote: str = "origin"
    branch: str = "gh-pages"
    message: str = "Publish the site"
    cname: str = ""
    nojekyll: bool = True

    @property
    def where(self):
        return f"branch {self.branch} of {self.repo}, pushed to {self.remote}"


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    prefix: str = ""
    endpoint_url: str = ""
    region: str = ""
    cache_control: dict = field(default_factory=dict)
    workers: int = 8

    @property
    def where(self):
        at = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{at}"


@dataclass(frozen=True)
class VerifySettings:
    mode: str = "auto"
    timeout: float = 10.0
    retries: int = 6
    backoff: float = 2.0


@dataclass(frozen=True)
class PublishSettings:
    project: Path
    siteurl: str
    target: str = "none"
    rsync: RsyncSettings | None = None
    ghpages: GhPagesSettings | None = None
    s3: S3Settings | None = None
    verify: VerifySettings = VerifySettings()
    lock_path: Path = Path(".cache/publish.lock")
    exclude: tuple = ()

    @property
    def target_settings(self):
        return {"rsync": self.rsync, "ghpages": self.ghpages, "s3": self.s3}.get(self.target)

    @property
    def is_local(self):
        """True when nobody but this machine sees the result: nothing live to check."""
        return self.target == "none" or (self.target == "rsync" and self.rsync.is_local)

    @property
    def should_verify(self):
        if self.verify.mode == "auto":
            return not self.is_local
        return self.verify.mode == "yes"

    @property
    def where(self):
        target = self.target_settings
        return target.where if target else "output/ only (no DEPLOY_TARGET)"


def load_environment(project):
    """Read the untracked `.env` of the project folder into os.environ (set values win)."""
    from dotenv import load_dotenv

    load_dotenv(Path(project) / ".env", override=False)


def secret_values(environ):
    """The values of the secret variables that are set, to keep them out of any output."""
    return tuple(v for v in (environ.get(name, "") for name in SECRET_VARIABLES) if len(v) >= 4)


def read_settings(pelican_settings, environ, project):
    """PublishSettings from Pelican's settings and the environment; PublishSettingsError."""
    get = _Source(pelican_settings, environ)
    project = Path(project)
    target = get.choice("DEPLOY_TARGET", "", ("",) + TARGETS) or "none"
    output = Path(pelican_settings.get("OUTPUT_PATH", project / "output"))
    return PublishSettings(
        project=project,
        siteurl=str(pelican_settings.get("SITEURL") or "").rstrip("/"),
        target=target,
        rsync=_rsync(get, project, output) if target == "rsync" else None,
        ghpages=_ghpages(get, project) if target == "ghpages" else None,
        s3=_s3(get) if target == "s3" else None,
        verify=VerifySettings(
            mode=get.choice("PUBLISH_VERIFY", "auto", VERIFY_MODES),
            timeout=get.number("PUBLISH_VERIFY_TIMEOUT", 10.0, minimum=0.1),
            retries=int(get.number("PUBLISH_VERIFY_RETRIES", 6, minimum=0, whole=True)),
            backoff=get.number("PUBLISH_VERIFY_BACKOFF", 2.0, minimum=0),
        ),
        lock_path=_under(project, get.text("PUBLISH_LOCK_FILE", ".cache/publish.lock")),
        exclude=get.names(
            "DEPLOY_EXCLUDE", [pelican_settings.get("NEWSLETTER_OUTPUT_DIR") or "newsletter"]
        ),
    )


def _rsync(get, project, output):
    path = get.text("DEPLOY_RSYNC_PATH", "")
    if not path:
        raise PublishSettingsError(
            "DEPLOY_TARGET is 'rsync' but DEPLOY_RSYNC_PATH is empty: write the folder the "
            "site goes to, e.g. DEPLOY_RSYNC_PATH=/var/www/site (on DEPLOY_SSH_HOST if set)."
        )
    host = get.text("DEPLOY_SSH_HOST", "")
    if not host:
        _check_local_destination(Path(path).expanduser(), project, output)
    key = get.text("DEPLOY_SSH_KEY", "")
    key_path = Path(key).expanduser() if key else None
    if key_path is not None and not key_path.is_file():
        raise PublishSettingsError(
            f"DEPLOY_SSH_KEY is {key!r}, which is not a file: write the path of the "
            "private key ssh should use, or leave it empty for ssh's default."
        )
    options = get.text("DEPLOY_SSH_OPTIONS", "")
    try:
        ssh_options = tuple(shlex.split(options))
    except ValueError as exc:
        raise PublishSettingsError(f"DEPLOY_SSH_OPTIONS cannot be read ({exc}).") from None
    return RsyncSettings(
        path=path,
        host=host,
        user=get.text("DEPLOY_SSH_USER", ""),
        port=int(get.number("DEPLOY_SSH_PORT", 22, minimum=1, whole=True)),
        key=key_path,
        ssh_options=ssh_options,
    )


def _check_local_destination(destination, project, output):
    """rsync --delete empties what it writes to: refuse folders that hold more than a site."""
    resolved = destination.resolve()
    forbidden = {Path("/"), Path.home().resolve(), project.resolve()}
    output = output.resolve()
    if resolved in forbidden or resolved == output or output.is_relative_to(resolved) \
            or resolved.is_relative_to(output):
        raise PublishSettingsError(
            f"DEPLOY_RSYNC_PATH is {str(destination)!r}: rsync --delete would remove files "
            "there that are not part of the site. Write a folder that holds only the site."
        )


def _ghpages(get, project):
    repo = get.text("DEPLOY_GHPAGES_REPO", "")
    return GhPagesSettings(
        repo=_under(project, repo) if repo else project,
        remote=get.text("DEPLOY_GHPAGES_REMOTE", "origin") or "origin",
        branch=get.text("DEPLOY_GHPAGES_BRANCH", "gh-pages") or "gh-pages",
        message=get.text("DEPLOY_GHPAGES_MESSAGE", "Publish the site") or "Publish the site",
        cname=get.text("DEPLOY_GHPAGES_CNAME", ""),
        nojekyll=get.flag("DEPLOY_GHPAGES_NOJEKYLL", True),
    )


def _s3(get):
    bucket = get.text("DEPLOY_S3_BUCKET", "")
    if not bucket:
        raise PublishSettingsError(
            "DEPLOY_TARGET is 's3' but DEPLOY_S3_BUCKET is empty: write the bucket's name."
        )
    endpoint = get.text("DEPLOY_S3_ENDPOINT_URL", "")
    parts = urlsplit(endpoint)
    if endpoint and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise PublishSettingsError(
            f"DEPLOY_S3_ENDPOINT_URL is {endpoint!r}: write an address such as "
            "'https://s3.eu-central-1.example.com', or leave it empty for AWS."
        )
    prefix = get.text("DEPLOY_S3_PREFIX", "").strip("/")
    return S3Settings(
        bucket=bucket,
        prefix=f"{prefix}/" if prefix else "",
        endpoint_url=endpoint,
        region=get.text("DEPLOY_S3_REGION", ""),
        cache_control=get.mapping("DEPLOY_S3_CACHE_CONTROL", tuple(CACHE_CONTROL)),
        workers=int(get.number("DEPLOY_S3_WORKERS", 8, minimum=1, whole=True)),
    )


def _under(project, value):
    path = Path(value).expanduser()
    return path if path.is_absolute() else project / path


class _Source:
    """Looks a setting up in the environment, then in Pelican's settings, then defaults."""

    def __init__(self, pelican_settings, environ):
        self.settings = pelican_settings
        self.environ = environ

    def raw(self, name, default):
        value = self.environ.get(name, "")
        if value != "":
            return value
        value = self.settings.get(name, default)
        return default if value is None else value

    def text(self, name, default):
        value = self.raw(name, default)
        if not isinstance(value, (str, os.PathLike)):
            raise PublishSettingsError(f"{name} is {value!r}: write a text value.")
        return str(value).strip()

    def choice(self, name, default, choices):
        return choice(name, self.text(name, default).lower(), choices,
                      error=PublishSettingsError)

    def number(self, name, default, minimum, whole=False):
        return number(name, self.raw(name, default), minimum, whole=whole, text=True,
                      error=PublishSettingsError)

    def flag(self, name, default):
        value = self.raw(name, default)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise PublishSettingsError(f"{name} is {value!r}: write yes or no.")

    def names(self, name, default):
        """Top-level names in output/: a list, or comma-separated text."""
        value = self.environ.get(name, "")
        if value == "":
            value = self.settings.get(name, default)
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise PublishSettingsError(f"{name} is {value!r}: write a list of names.")
        names = tuple(v.strip().strip("/") for v in value if v.strip().strip("/"))
        if any("/" in n or n in (".", "..") for n in names):
            raise PublishSettingsError(
                f"{name} is {value!r}: name top-level folders or files of output/ only."
            )
        return names

    def mapping(self, name, kinds):
        value = self.raw(name, {})
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = None
        if not isinstance(value, dict) or not all(
            k in kinds and isinstance(v, str) and v.strip() for k, v in value.items()
        ):
            raise PublishSettingsError(
                f"{name} is {value!r}: write a mapping of kind ({', '.join(kinds)}) to "
                'header, e.g. {"asset": "public, max-age=600"}.'
            )
        return dict(value)

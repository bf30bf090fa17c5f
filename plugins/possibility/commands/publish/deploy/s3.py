"""Deploy to an S3-compatible bucket with boto3, for a site served from a CDN.

Only files whose content changed are uploaded (the object's ETag is the MD5 of what a
single-part upload sent; the MD5 is also kept in the object's metadata for services
whose ETag is something else), and keys gone from the site are deleted. Media go
first, pages last and deletions after them, so a reader never gets a page whose
stylesheet or image is not there yet. Each object gets its Content-Type and a
Cache-Control by kind of file: pages and feeds are revalidated on every visit, so a
new post shows at once; assets are cached, for good when their name carries a hash.
A change to the cache headers alone is therefore not re-uploaded: change a file's
content (or delete the bucket's objects) to resend it.
"""

import base64
import hashlib
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from .result import DeployError, DeployResult

CACHE_CONTROL = {
    "document": "public, max-age=0, must-revalidate",
    "asset": "public, max-age=3600",
    "media": "public, max-age=604800",
    "immutable": "public, max-age=31536000, immutable",
}
UTF8 = "; charset=utf-8"
CONTENT_TYPES = {
    ".html": "text/html" + UTF8,
    ".htm": "text/html" + UTF8,
    ".css": "text/css" + UTF8,
    ".js": "text/javascript" + UTF8,
    ".mjs": "text/javascript" + UTF8,
    ".json": "application/json" + UTF8,
    ".xml": "application/xml" + UTF8,
    ".txt": "text/plain" + UTF8,
    ".eml": "message/rfc822",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
}
FEED_TYPES = {
    ".rss.xml": "application/rss+xml" + UTF8,
    ".atom.xml": "application/atom+xml" + UTF8,
    ".rss": "application/rss+xml" + UTF8,
    ".atom": "application/atom+xml" + UTF8,
}
DOCUMENTS = {".html", ".htm", ".xml", ".json", ".txt", ".rss", ".atom", ".eml"}
ASSETS = {".css", ".js", ".mjs"}
HASHED_NAME = re.compile(r"[.-][0-9a-f]{8,}\.[a-z0-9]+$")
KIND_ORDER = ("media", "immutable", "asset", "document")


def content_type(path):
    """The Content-Type a browser or feed reader expects for `path` (relative to the site)."""
    name = posixpath.basename(path).lower()
    for ending, value in FEED_TYPES.items():
        if name.endswith(ending):
            return value
    if name.endswith(".json") and path.lower().startswith("feeds/"):
        return "application/feed+json" + UTF8
    return CONTENT_TYPES.get(posixpath.splitext(name)[1], "application/octet-stream")


def cache_kind(path):
    """document (always revalidated), asset, media, or immutable (name carries a hash)."""
    name = posixpath.basename(path).lower()
    extension = posixpath.splitext(name)[1]
    if extension in DOCUMENTS or not extension:
        return "document"
    if HASHED_NAME.search(name):
        return "immutable"
    return "asset" if extension in ASSETS else "media"


def plan_changes(local, remote):
    """Keys to upload (new or changed) and to delete, from {key: md5} of each side."""
    upload = sorted(key for key, md5 in local.items() if remote.get(key) != md5)
    delete = sorted(key for key in remote if key not in local)
    return upload, delete


def deploy_s3(output, settings, dry_run, progress, client=None):
    output = Path(output)
    policy = {**CACHE_CONTROL, **settings.cache_control}
    client = client or _client(settings)
    files = {
        settings.prefix + p.relative_to(output).as_posix(): p
        for p in sorted(output.rglob("*"))
        if p.is_file()
    }
    local = {key: _md5(path) for key, path in files.items()}
    remote = _remote_md5s(client, settings)
    upload, delete = plan_changes(local, remote)
    result = DeployResult(
        where=settings.where,
        uploaded=tuple(_relative(k, settings) for k in upload),
        deleted=tuple(_relative(k, settings) for k in delete),
        unchanged=len(local) - len(upload),
        dry_run=dry_run,
    )
    if dry_run:
        return result
    with progress(f"Uploading to {settings.where}", total=len(upload) + len(delete)) as advance:
        for kind in KIND_ORDER:
            batch = [k for k in upload if cache_kind(_relative(k, settings)) == kind]
            _upload_all(client, settings, batch, files, local, policy[kind], advance)
        for start in range(0, len(delete), 1000):
            chunk = delete[start:start + 1000]
            _delete(client, settings.bucket, chunk)
            advance(len(chunk))
    return result


def _relative(key, settings):
    return key[len(settings.prefix):]


def _client(settings):
    import boto3

    options = {}
    if settings.endpoint_url:
        options["endpoint_url"] = settings.endpoint_url
    if settings.region:
        options["region_name"] = settings.region
    return boto3.client("s3", **options)


def _md5(path):
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _remote_md5s(client, settings):
    """{key: md5} of the objects under the prefix (None where it cannot be known)."""
    remote = {}
    with _s3_errors(f"cannot list {settings.where}"):
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=settings.bucket, Prefix=settings.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                etag = item.get("ETag", "").strip('"')
                remote[item["Key"]] = etag if re.fullmatch(r"[0-9a-f]{32}", etag) else None
        for key in [k for k, md5 in remote.items() if md5 is None]:
            head = client.head_object(Bucket=settings.bucket, Key=key)
            remote[key] = head.get("Metadata", {}).get("md5")
    return remote


def _upload_all(client, settings, keys, files, md5s, cache_control, advance):
    def upload(key):
        body = files[key].read_bytes()
        with _s3_errors(f"cannot upload {key} to {settings.where}"):
            client.put_object(
                Bucket=settings.bucket,
                Key=key,
                Body=body,
                ContentType=content_type(_relative(key, settings)),
                CacheControl=cache_control,
                ContentMD5=base64.b64encode(bytes.fromhex(md5s[key])).decode("ascii"),
                Metadata={"md5": md5s[key]},
            )
        advance()

    with ThreadPoolExecutor(max_workers=settings.workers) as pool:
        for future in [pool.submit(upload, key) for key in keys]:
            future.result()


def _delete(client, bucket, keys):
    with _s3_errors(f"cannot delete old files from s3://{bucket}"):
        answer = client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
        )
    errors = answer.get("Errors", [])
    if errors:
        first = errors[0]
        raise DeployError(
            f"cannot delete {len(errors)} old files from s3://{bucket} "
            f"(first: {first.get('Key')}: {first.get('Code')} {first.get('Message')})"
        )


@contextmanager
def _s3_errors(what):
    """Turn boto3's exceptions into DeployError with the service's own words."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise DeployError(
            f"{what}: no credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "in the environment or .env."
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise DeployError(
            f"{what}: {error.get('Code', 'error')} {error.get('Message', '')}".rstrip()
        ) from None
    except BotoCoreError as exc:
        raise DeployError(f"{what}: {exc}") from None

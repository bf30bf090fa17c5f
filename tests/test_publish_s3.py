"""Deploy to S3 (possibility.commands.publish.deploy.s3) against a real moto server on 127.0.0.1."""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from possibility.commands.publish.deploy import DeployError
from possibility.commands.publish.deploy.s3 import (
    CACHE_CONTROL,
    cache_kind,
    content_type,
    deploy_s3,
    plan_changes,
)
from possibility.commands.publish.progress import no_progress
from possibility.commands.publish.settings import S3Settings

KEY_ID, SECRET = "AKIDPUBLISHTEST", "publish-test-secret-Zm9vYmFy"


@pytest.fixture(scope="module")
def moto_url():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_url, monkeypatch, request):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = "site-" + request.node.name.replace("_", "-")[:40].lower()
    client = boto3.client("s3", endpoint_url=moto_url)
    client.create_bucket(Bucket=name)
    return client, S3Settings(bucket=name, endpoint_url=moto_url, region="us-east-1")


def make_site(folder, files):
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


SITE = {
    "index.html": "<h1>Home</h1>",
    "a-post/index.html": "<h1>A post</h1>",
    "theme/css/site.css": "body{}",
    "theme/js/signup.js": "let a;",
    "theme/css/site.3f2a9c1d.css": "hashed{}",
    "feeds/all.rss.xml": "<rss/>",
    "feeds/all.atom.xml": "<feed/>",
    "feeds/all.json": "{}",
    "sitemap.xml": "<urlset/>",
    "images/photo.jpg": b"\xff\xd8\xff",
    "images/logo.png": b"\x89PNG",
    "images/logo.svg": "<svg/>",
    "fonts/body.woff2": b"wOF2",
}


def objects(client, bucket):
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"]: item for item in listing}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("theme/css/site.css", "text/css; charset=utf-8"),
        ("theme/js/signup.js", "text/javascript; charset=utf-8"),
        ("feeds/all.rss.xml", "application/rss+xml; charset=utf-8"),
        ("feeds/all.atom.xml", "application/atom+xml; charset=utf-8"),
        ("feeds/all.json", "application/feed+json; charset=utf-8"),
        ("sitemap.xml", "application/xml; charset=utf-8"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("images/photo.JPG", "image/jpeg"),
        ("images/logo.svg", "image/svg+xml"),
        ("images/pic.webp", "image/webp"),
        ("fonts/body.woff2", "font/woff2"),
        ("downloads/thing.bin", "application/octet-stream"),
    ],
)
def test_content_type_per_file_type(path, expected):
    assert content_type(path) == expected


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("index.html", "document"),
        ("feeds/all.rss.xml", "document"),
        ("feeds/all.json", "document"),
        ("theme/css/site.css", "asset"),
        ("theme/css/site.3f2a9c1d.css", "immutable"),
        ("images/photo.jpg", "media"),
        ("fonts/body.woff2", "media"),
        ("CNAME", "document"),
    ],
)
def test_cache_kind_per_file_type(path, kind):
    assert cache_kind(path) == kind


def test_plan_uploads_new_and_changed_and_deletes_what_is_gone():
    local = {"a": "1", "b": "2", "c": "3"}
    remote = {"a": "1", "b": "old", "gone": "9", "also-gone": None}
    assert plan_changes(local, remote) == (["b", "c"], ["also-gone", "gone"])


def test_first_deploy_uploads_every_file_with_type_and_cache_headers(tmp_path, bucket):
    client, settings = bucket
    site = make_site(tmp_path / "output", SITE)
    result = deploy_s3(site, settings, dry_run=False, progress=no_progress)
    assert sorted(result.uploaded) == sorted(SITE)
    assert result.deleted == ()
    assert set(objects(client, settings.bucket)) == set(SITE)
    for key in SITE:
        head = client.head_object(Bucket=settings.bucket, Key=key)
        assert head["ContentType"] == content_type(key), key
        assert head["CacheControl"] == CACHE_CONTROL[cache_kind(key)], key
    page = client.head_object(Bucket=settings.bucket, Key="a-post/index.html")
    assert page["CacheControl"] == "public, max-age=0, must-revalidate"
    hashed = client.head_object(Bucket=settings.bucket, Key="theme/css/site.3f2a9c1d.css")
    assert "immutable" in hashed["CacheControl"]
    body = client.get_object(Bucket=settings.bucket, Key="images/photo.jpg")["Body"].read()
    assert body == b"\xff\xd8\xff"


def test_second_deploy_uploads_only_changed_files_and_deletes_removed_ones(tmp_path, bucket):
    client, settings = bucket
    site = make_site(tmp_path / "output", SITE)
    deploy_s3(site, settings, dry_run=False, progress=no_progress)
    before = {k: v["LastModified"] for k, v in objects(client, settings.bucket).items()}

    (site / "a-post/index.html").write_text("<h1>A post, corrected</h1>")
    (site / "images/logo.png").unlink()
    make_site(site, {"new-post/index.html": "<h1>New</h1>"})
    # Rewritten with the same content (as every build does): not uploaded again.
    (site / "index.html").write_text("<h1>Home</h1>")

    result = deploy_s3(site, settings, dry_run=False, progress=no_progress)
    assert sorted(result.uploaded) == ["a-post/index.html", "new-post/index.html"]
    assert result.deleted == ("images/logo.png",)
    assert result.unchanged == len(SITE) - 2
    after = objects(client, settings.bucket)
    assert "images/logo.png" not in after
    assert "new-post/index.html" in after
    assert after["index.html"]["LastModified"] == before["index.html"]
    text = client.get_object(Bucket=settings.bucket, Key="a-post/index.html")["Body"].read()
    assert text == b"<h1>A post, corrected</h1>"

    again = deploy_s3(site, settings, dry_run=False, progress=no_progress)
    assert (again.uploaded, again.deleted) == ((), ())


def test_prefix_and_custom_cache_control(tmp_path, bucket):
    client, settings = bucket
    settings = S3Settings(
        bucket=settings.bucket, endpoint_url=settings.endpoint_url, prefix="www/",
        cache_control={"asset": "public, max-age=600"},
    )
    client.put_object(Bucket=settings.bucket, Key="elsewhere.txt", Body=b"not the site")
    site = make_site(tmp_path / "output", {"index.html": "x", "theme/css/site.css": "y"})
    deploy_s3(site, settings, dry_run=False, progress=no_progress)
    keys = set(objects(client, settings.bucket))
    assert keys == {"www/index.html", "www/theme/css/site.css", "elsewhere.txt"}
    head = client.head_object(Bucket=settings.bucket, Key="www/theme/css/site.css")
    assert head["CacheControl"] == "public, max-age=600"
    assert head["ContentType"] == "text/css; charset=utf-8"


def test_dry_run_lists_changes_and_touches_nothing(tmp_path, bucket):
    client, settings = bucket
    client.put_object(Bucket=settings.bucket, Key="old.html", Body=b"old")
    site = make_site(tmp_path / "output", {"index.html": "x"})
    result = deploy_s3(site, settings, dry_run=True, progress=no_progress)
    assert result.dry_run
    assert (result.uploaded, result.deleted) == (("index.html",), ("old.html",))
    assert "would upload 1 file, would delete 1" in result.summary()
    assert set(objects(client, settings.bucket)) == {"old.html"}


def test_missing_bucket_is_a_clear_error_without_the_secret(tmp_path, bucket):
    _, settings = bucket
    missing = S3Settings(bucket="no-such-bucket", endpoint_url=settings.endpoint_url)
    site = make_site(tmp_path / "output", {"index.html": "x"})
    with pytest.raises(DeployError) as failure:
        deploy_s3(site, missing, dry_run=False, progress=no_progress)
    assert "NoSuchBucket" in str(failure.value)
    assert "s3://no-such-bucket/" in str(failure.value)
    assert SECRET not in str(failure.value)

"""PUBLISH_* and DEPLOY_* settings (possibility.commands.publish.settings): defaults, sources,
errors."""

import os
from pathlib import Path

import pytest

from possibility.commands.publish.settings import (
    PublishSettingsError,
    load_environment,
    read_settings,
    secret_values,
)

PROJECT = Path("/srv/site")
PELICAN = {"SITEURL": "https://www.example.org/", "OUTPUT_PATH": "/srv/site/output"}


def read(environ=None, **pelican):
    return read_settings({**PELICAN, **pelican}, environ or {}, PROJECT)


def test_defaults_keep_the_site_in_output_and_check_nothing_live():
    settings = read()
    assert settings.target == "none"
    assert settings.siteurl == "https://www.example.org"
    assert settings.is_local and not settings.should_verify
    assert settings.where == "output/ only (no DEPLOY_TARGET)"
    assert (settings.verify.mode, settings.verify.timeout, settings.verify.retries,
            settings.verify.backoff) == ("auto", 10.0, 6, 2.0)
    assert settings.lock_path == PROJECT / ".cache/publish.lock"


def test_rsync_over_ssh_from_the_environment_wins_over_publishconf(tmp_path):
    key = tmp_path / "id_ed25519"
    key.write_text("not read")
    settings = read(
        {"DEPLOY_TARGET": "rsync", "DEPLOY_SSH_HOST": "example.org", "DEPLOY_SSH_PORT": "2222",
         "DEPLOY_SSH_KEY": str(key), "DEPLOY_SSH_OPTIONS": "-o 'ProxyJump=jump host'",
         "DEPLOY_RSYNC_PATH": ""},
        DEPLOY_TARGET="s3", DEPLOY_RSYNC_PATH="/var/www/site", DEPLOY_SSH_USER="karen",
    )
    rsync = settings.rsync
    assert settings.target == "rsync" and settings.s3 is None
    assert (rsync.host, rsync.user, rsync.port, rsync.key) == ("example.org", "karen", 2222, key)
    assert rsync.ssh_options == ("-o", "ProxyJump=jump host")
    assert rsync.destination == "karen@example.org:/var/www/site/"
    assert settings.where == "karen@example.org:/var/www/site/ (ssh port 2222)"
    assert not settings.is_local and settings.should_verify


def test_rsync_to_a_local_folder_is_local_unless_verify_is_yes(tmp_path):
    settings = read({"DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": str(tmp_path / "www")})
    assert settings.is_local and not settings.should_verify
    assert settings.where == f"the folder {tmp_path / 'www'}"
    forced = read({"DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": str(tmp_path / "www"),
                   "PUBLISH_VERIFY": "yes"})
    assert forced.should_verify


def test_ghpages_and_s3_settings():
    pages = read({"DEPLOY_TARGET": "ghpages", "DEPLOY_GHPAGES_NOJEKYLL": "no"},
                 DEPLOY_GHPAGES_CNAME="www.example.org")
    assert pages.ghpages.repo == PROJECT
    assert (pages.ghpages.remote, pages.ghpages.branch) == ("origin", "gh-pages")
    assert (pages.ghpages.cname, pages.ghpages.nojekyll) == ("www.example.org", False)
    bucket = read({"DEPLOY_TARGET": "S3", "DEPLOY_S3_BUCKET": "site",
                   "DEPLOY_S3_PREFIX": "/www/", "DEPLOY_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
                   "DEPLOY_S3_CACHE_CONTROL": '{"asset": "public, max-age=600"}'})
    assert bucket.s3.prefix == "www/"
    assert bucket.s3.cache_control == {"asset": "public, max-age=600"}
    assert bucket.where == "s3://site/www/ at http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"DEPLOY_TARGET": "ftp"}, "DEPLOY_TARGET is 'ftp': write one of 'none', 'rsync'"),
        ({"DEPLOY_TARGET": "rsync"}, "DEPLOY_RSYNC_PATH is empty"),
        ({"DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": "/"}, "rsync --delete would remove"),
        ({"DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": "/srv/site"}, "would remove"),
        ({"DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": "/srv/site/output/x"}, "would remove"),
        ({"DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": "/w", "DEPLOY_SSH_KEY": "/no/key"},
         "DEPLOY_SSH_KEY is '/no/key', which is not a file"),
        ({"DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": "/w", "DEPLOY_SSH_HOST": "h",
          "DEPLOY_SSH_PORT": "ssh"}, "DEPLOY_SSH_PORT is 'ssh': write a positive whole number"),
        ({"DEPLOY_TARGET": "s3"}, "DEPLOY_S3_BUCKET is empty"),
        ({"DEPLOY_TARGET": "s3", "DEPLOY_S3_BUCKET": "b", "DEPLOY_S3_ENDPOINT_URL": "minio:9000"},
         "DEPLOY_S3_ENDPOINT_URL is 'minio:9000'"),
        ({"DEPLOY_TARGET": "s3", "DEPLOY_S3_BUCKET": "b", "DEPLOY_S3_CACHE_CONTROL": '{"x": "y"}'},
         "kind (document, asset, media, immutable)"),
        ({"PUBLISH_VERIFY": "maybe"}, "PUBLISH_VERIFY is 'maybe'"),
        ({"PUBLISH_VERIFY_RETRIES": "1.5"}, "PUBLISH_VERIFY_RETRIES is '1.5'"),
        ({"PUBLISH_VERIFY_TIMEOUT": "0"}, "PUBLISH_VERIFY_TIMEOUT is '0'"),
        ({"DEPLOY_TARGET": "ghpages", "DEPLOY_GHPAGES_NOJEKYLL": "perhaps"}, "write yes or no"),
    ],
)
def test_a_bad_value_names_the_setting_and_the_fix(environ, says):
    with pytest.raises(PublishSettingsError) as failure:
        read(environ)
    assert says in str(failure.value)


def test_secret_values_are_the_set_secret_variables_only():
    environ = {"AWS_SECRET_ACCESS_KEY": "s3cr3t-value", "MAILCHIMP_API_KEY": "abc-us1",
               "AWS_ACCESS_KEY_ID": "AKID", "AWS_SESSION_TOKEN": ""}
    assert secret_values(environ) == ("s3cr3t-value", "abc-us1")


def test_dot_env_fills_what_the_environment_does_not_set(tmp_path, monkeypatch):
    for name in ("PUBLISH_TEST_FROM_DOTENV", "PUBLISH_TEST_ALREADY_SET"):
        monkeypatch.setenv(name, "placeholder")  # so that monkeypatch removes it afterwards
        monkeypatch.delenv(name)
    monkeypatch.setenv("PUBLISH_TEST_ALREADY_SET", "from the environment")
    (tmp_path / ".env").write_text(
        "PUBLISH_TEST_FROM_DOTENV=from .env\nPUBLISH_TEST_ALREADY_SET=from .env\n"
    )
    load_environment(tmp_path)
    assert os.environ["PUBLISH_TEST_FROM_DOTENV"] == "from .env"
    assert os.environ["PUBLISH_TEST_ALREADY_SET"] == "from the environment"

"""No credential reaches the terminal: real publishes to S3 (moto) and over SSH (sshd).

The servers and the baselined site come from the deploy and pipeline test modules.
"""

import io
import os

import boto3
import test_publish_pipeline as pipeline
import test_publish_rsync as rsync
import test_publish_s3 as s3
from conftest import ROOT
from rich.console import Console

from possibility.commands.publish.command import run_publish
from possibility.commands.publish.deploy import DeployError
from possibility.commands.publish.report import REDACTED, render

web, baselined, harness = pipeline.web, pipeline.baselined, pipeline.harness
sshd, moto_url = rsync.sshd, s3.moto_url

MAILCHIMP_KEY = "0123456789abcdef0123456789abcdef-us21"


def publish_via_command(harness, environ, **options):
    """`invoke publish` as the task runs it; the exit code and everything it printed."""
    screen = io.StringIO()
    console = Console(file=screen, width=200, force_terminal=False)
    code = run_publish(harness.folder, ROOT / "publishconf.py", overrides=harness.overrides,
                       environ=environ, console=console, interactive=False, **options)
    return code, screen.getvalue()


def test_s3_keys_are_never_printed(harness, moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3", endpoint_url=moto_url).create_bucket(Bucket="secrets-site")
    environ = {
        **os.environ, "DEPLOY_TARGET": "s3", "DEPLOY_S3_BUCKET": "secrets-site",
        "DEPLOY_S3_ENDPOINT_URL": moto_url, "PUBLISH_VERIFY": "no",
    }
    code, printed = publish_via_command(harness, environ)
    assert code == 0, printed
    assert "s3://secrets-site/" in printed and "Curiosity Before Strategy" in printed
    assert s3.SECRET not in printed

    code, printed = publish_via_command(harness, {**environ, "DEPLOY_S3_BUCKET": "missing"})
    assert code == 1 and "NoSuchBucket" in printed
    assert s3.SECRET not in printed and s3.KEY_ID not in printed


def test_the_ssh_key_is_never_printed(harness, sshd):
    port, key = sshd
    environ = {
        "DEPLOY_TARGET": "rsync", "DEPLOY_RSYNC_PATH": str(harness.www),
        "DEPLOY_SSH_HOST": "127.0.0.1", "DEPLOY_SSH_USER": "root",
        "DEPLOY_SSH_PORT": str(port), "DEPLOY_SSH_KEY": str(key),
        "DEPLOY_SSH_OPTIONS": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                              "-o LogLevel=ERROR",
        "PUBLISH_VERIFY_RETRIES": "0",
    }
    code, printed = publish_via_command(harness, environ)
    assert code == 0, printed
    assert (harness.www / "curiosity-before-strategy/index.html").is_file()
    assert f"ssh port {port}" in printed
    key_lines = key.read_text().splitlines()[1:-1]
    assert key_lines and not any(line in printed for line in key_lines)

    public = key.with_suffix(".pub")
    code, printed = publish_via_command(harness, {**environ, "DEPLOY_SSH_KEY": str(public)})
    assert code == 1 and "rsync to root@127.0.0.1" in printed
    assert not any(line in printed for line in key_lines)


def test_a_secret_inside_an_error_message_is_redacted(harness):
    """A library that puts a key in its error must not get it onto the screen or a CI log."""
    leak = f"upload refused for key {s3.SECRET} (Mailchimp said {MAILCHIMP_KEY})"

    def leaky_deploy(output, dry_run):
        raise DeployError(leak)

    report = harness.publish(deploy=leaky_deploy)
    screen = io.StringIO()
    secrets = (s3.SECRET, MAILCHIMP_KEY)
    render(report, Console(file=screen, width=300), secrets)
    printed = screen.getvalue()
    assert "deploy failed" in printed and REDACTED in printed
    assert s3.SECRET not in printed and MAILCHIMP_KEY not in printed

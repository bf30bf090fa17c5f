"""`invoke newsletter-report`: what each email did, without logging in to Mailchimp.

For every email the ledger records as sent to the Mailchimp list (the archive's reader,
`core.newsletter.archive.sent_to_list`), the campaign's report is read through the official
client (`reports.get_campaign_report`: recipients, opens, clicks, unsubscribes, bounces, the
first 24 hours hour by hour; `reports.get_campaign_click_details`: the links clicked). Then:

- a summary on the terminal, one email a line (and its top links);
- the figures merged into `figures.json` in the report folder (`.cache/newsletter-report/`:
  git-ignored, and never in output/, so never deployed). A run adds to what earlier runs
  kept and never loses it: each email's latest figures, their history (one point per run
  that saw them change), its hours and its links; an email Mailchimp no longer reports on,
  or one that failed this time, keeps its earlier figures;
- `index.html` beside it: the same as a page, with charts drawn as inline SVG (no script):
  unique opens and clicks of each email, by its date, and of each email over its first
  24 hours. It opens from the file system.

Without MAILCHIMP_API_KEY it says so, lists the rehearsal outbox (`outbox/`, the .eml files
a send without a key writes), and writes the page with the figures kept so far. The key
comes from the environment or .env, and is never shown (the adapter scrubs every message).
"""

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from possibility.common import PossibilityError, write_atomically, write_if_changed
from possibility.core.newsletter.archive import sent_to_list
from possibility.core.newsletter.backends.mailchimp_api import (
    KeyRejected,
    MailchimpApi,
    MailchimpError,
    NotFound,
    RetryPolicy,
)
from possibility.core.newsletter.ledger import read_ledger

FIGURES_FILE = "figures.json"
PAGE_FILE = "index.html"
SCHEMA = 1
TOP_LINKS = 5
LINK_PAGE = 1000
COUNTS = ("emails_sent", "opens_total", "unique_opens", "clicks_total", "unique_clicks",
          "unsubscribed", "hard_bounces", "soft_bounces")


class ReportError(PossibilityError):
    """The report could not be made; the message says why and what to do."""


@dataclass
class Report:
    """What a run found, for the terminal (`lines`) and the page."""

    folder: Path
    figures: dict  # figures.json's data, after the merge
    keyed: bool  # False: no MAILCHIMP_API_KEY, the outbox instead
    outbox: list = field(default_factory=list)  # (file name, subject, date) of outbox/
    outbox_path: Path | None = None
    notes: list = field(default_factory=list)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def page(self):
        return self.folder / PAGE_FILE

    def emails(self):
        return sorted(self.figures["emails"].values(), key=lambda e: (e["sent_at"], e["key"]))

    def lines(self):
        out = []
        if not self.keyed:
            out.append("No MAILCHIMP_API_KEY (environment or .env): Mailchimp's reports cannot "
                       "be read. The rehearsal outbox instead:")
            out += [f"  {name}  {subject!r}  {date}" for name, subject, date in self.outbox]
            if not self.outbox:
                out.append(f"  {self.outbox_path}: empty (a send without a key writes there).")
        emails = self.emails()
        if emails:
            heading = "What each email did" if self.keyed else "Figures kept from earlier runs"
            out.append(f"{heading} ({len(emails)} email(s) to the list):")
        for email in emails:
            latest = email.get("latest") or {}
            out.append(f"  {_day(email['sent_at'], self.zone)}  {email['subject']}: "
                       + _summary(latest))
            for link in email.get("top_links", [])[:TOP_LINKS]:
                out.append(f"      {link['total_clicks']:>5} clicks  {link['url']}")
        if self.keyed and not emails:
            out.append("No email has gone to the list yet (the ledger records none).")
        out += [f"  note: {note}" for note in self.notes]
        out.append(f"Report: {self.page}")
        return out


def _summary(latest):
    if not latest:
        return "no figures yet"
    sent = latest.get("emails_sent", 0)
    return (f"sent to {sent}, opened by {latest.get('unique_opens', 0)} "
            f"({_percent(latest.get('open_rate'))}), clicked by "
            f"{latest.get('unique_clicks', 0)} ({_percent(latest.get('click_rate'))}), "
            f"{latest.get('unsubscribed', 0)} unsubscribed, "
            f"{latest.get('hard_bounces', 0) + latest.get('soft_bounces', 0)} bounced")


def _percent(rate):
    return f"{(rate or 0) * 100:.1f}%"


def make_report(settings, environ, folder, *, api=None, clock=None, timezone="UTC"):
    """Read the reports (or, with no key, the outbox), merge and write the figures and the
    page in `folder`; the Report. ReportError when Mailchimp refuses the key or the files
    cannot be read or written (nothing kept is lost)."""
    folder = Path(folder)
    now = (clock or (lambda: datetime.now(UTC)))()
    figures = read_figures(folder / FIGURES_FILE)
    keyed = bool(environ.get("MAILCHIMP_API_KEY")) or api is not None
    report = Report(folder, figures, keyed=keyed, zone=ZoneInfo(timezone),
                    outbox_path=settings.outbox_path)
    if not keyed:
        report.outbox = outbox_files(settings.outbox_path)
    else:
        mc = settings.mailchimp
        api = api or MailchimpApi(
            environ["MAILCHIMP_API_KEY"], environ.get("MAILCHIMP_API_URL") or None,
            timeout=mc.timeout, retry=RetryPolicy(mc.attempts, mc.backoff, mc.backoff_cap))
        ledger = read_ledger(settings.ledger_path)
        for sent in sent_to_list(ledger):
            if not sent.campaign_id:
                continue
            try:
                answer, links = read_campaign(api, sent.campaign_id)
            except KeyRejected as error:
                raise ReportError(f"{error} Nothing was changed in {folder}.") from None
            except NotFound:
                report.notes.append(f"Mailchimp has no report for campaign {sent.campaign_id} "
                                    f"({sent.subject!r}); its earlier figures are kept.")
                continue
            except MailchimpError as error:
                report.notes.append(f"{error} The earlier figures of {sent.subject!r} are "
                                    "kept; run again later.")
                continue
            merge(figures, sent, answer, links, now)
        try:
            write_atomically(folder / FIGURES_FILE, dumps(figures).encode("utf-8"))
        except OSError as exc:
            raise ReportError(f"cannot write {folder / FIGURES_FILE}: {exc}") from None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_if_changed(folder / PAGE_FILE, render_page(report, now).encode("utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot write {folder / PAGE_FILE}: {exc}") from None
    return report


def read_campaign(api, campaign_id):
    """(report, [clicked links]) of one sent campaign, through the official client."""
    answer = api.call(f"read the report of campaign {campaign_id}",
                      lambda mc: mc.reports.get_campaign_report(campaign_id),
                      missing=f"report for campaign {campaign_id}") or {}
    links, offset = [], 0
    while True:
        page = api.call(
            f"read the clicked links of campaign {campaign_id}",
            lambda mc, offset=offset: mc.reports.get_campaign_click_details(
                campaign_id, count=LINK_PAGE, offset=offset),
            missing=f"report for campaign {campaign_id}") or {}
        batch = page.get("urls_clicked") or []
        links += batch
        offset += len(batch)
        if not batch or offset >= page.get("total_items", 0):
            return answer, links


# Figures ------------------------------------------------------------------------------


def read_figures(path):
    """figures.json's data, or a new one. A file that cannot be read stops the run rather
    than being replaced (nothing kept is ever lost)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"schema": SCHEMA, "emails": {}}
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read {path} ({exc}): move it away to start afresh, or "
                          "repair it; it was left as it is.") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(
            data.get("emails"), dict):
        raise ReportError(f"{path} is not a figures file of schema {SCHEMA}: move it away to "
                          "start afresh; it was left as it is.")
    return data


def dumps(data):
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def figures_of(answer):
    """The counts of a campaign report (Mailchimp's shape) as one flat record."""
    opens, clicks = answer.get("opens") or {}, answer.get("clicks") or {}
    bounces = answer.get("bounces") or {}
    return {
        "emails_sent": int(answer.get("emails_sent") or 0),
        "opens_total": int(opens.get("opens_total") or 0),
        "unique_opens": int(opens.get("unique_opens") or 0),
        "open_rate": float(opens.get("open_rate") or 0),
        "clicks_total": int(clicks.get("clicks_total") or 0),
        "unique_clicks": int(clicks.get("unique_subscriber_clicks") or 0),
        "click_rate": float(clicks.get("click_rate") or 0),
        "unsubscribed": int(answer.get("unsubscribed") or 0),
        "hard_bounces": int(bounces.get("hard_bounces") or 0),
        "soft_bounces": int(bounces.get("soft_bounces") or 0),
    }


def merge(figures, sent, answer, links, now):
    """Add one campaign's report to `figures` (in place), keeping what earlier runs saw."""
    emails = figures["emails"]
    record = emails.setdefault(sent.campaign_id, {"history": [], "hours": {}})
    latest = figures_of(answer)
    record.update({
        "campaign_id": sent.campaign_id, "key": sent.key, "subject": sent.subject,
        "kind": sent.kind, "groups": list(sent.groups),
        "sent_at": answer.get("send_time") or sent.sent_at.isoformat(),
        "checked": _stamp(now), "latest": latest,
    })
    history = record.setdefault("history", [])
    counts = {k: latest[k] for k in COUNTS}
    if not history or {k: history[-1].get(k) for k in COUNTS} != counts:
        history.append({"at": _stamp(now), **counts})
    hours = record.setdefault("hours", {})
    for hour in answer.get("timeseries") or ():
        if hour.get("timestamp"):
            hours[_stamp(_time(hour["timestamp"]))] = {
                "emails_sent": int(hour.get("emails_sent") or 0),
                "unique_opens": int(hour.get("unique_opens") or 0),
                "recipients_clicks": int(hour.get("recipients_clicks") or 0)}
    if links or "top_links" not in record:
        ranked = sorted(links, key=lambda u: (-int(u.get("total_clicks") or 0), u.get("url")))
        record["top_links"] = [{"url": u.get("url", ""),
                                "total_clicks": int(u.get("total_clicks") or 0),
                                "unique_clicks": int(u.get("unique_clicks") or 0)}
                               for u in ranked]
    return record


def _stamp(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _time(text):
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _day(text, zone):
    return f"{_time(text).astimezone(zone):%Y-%m-%d}"


# The outbox -----------------------------------------------------------------------------


def outbox_files(folder):
    """(file name, subject, date) of each message in the rehearsal outbox, oldest first."""
    folder = Path(folder)
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else ():
        try:
            with path.open("rb") as handle:
                headers = BytesHeaderParser(policy=default_policy).parse(handle)
        except OSError:
            continue
        found.append((path.name, str(headers.get("Subject") or ""),
                      str(headers.get("Date") or "")))
    return found


# The page -------------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light dark; --ink: #1f2a2a; --muted: #5b6868; --paper: #fff;
  --line: #d5dcdc; --opens: #1d5f5a; --clicks: #b4531f; }
@media (prefers-color-scheme: dark) { :root { --ink: #e7eeee; --muted: #a9b6b6;
  --paper: #141a1a; --line: #3a4646; --opens: #6fc7bd; --clicks: #f0a070; } }
body { font: 1rem/1.5 system-ui, sans-serif; color: var(--ink); background: var(--paper);
  max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta, figcaption { color: var(--muted); font-size: .875rem; }
svg { max-width: 100%; height: auto; }
svg text { fill: var(--muted); font: 11px system-ui, sans-serif; }
svg .axis { stroke: var(--line); }
svg .opens { fill: var(--opens); stroke: var(--opens); }
svg .clicks { fill: var(--clicks); stroke: var(--clicks); }
svg polyline { fill: none; stroke-width: 2; }
.key span { display: inline-block; width: .8em; height: .8em; margin: 0 .3em 0 1em; }
.key .opens { background: var(--opens); } .key .clicks { background: var(--clicks); }
section { margin: 2rem 0; }
"""


def render_page(report, now):
    """The report as one self-contained HTML page (inline CSS and SVG, no script)."""
    zone = report.zone
    emails = report.emails()
    parts = [
        "<!doctype html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Newsletter report</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        "<main>", "<h1>Newsletter report</h1>",
        f'<p class="meta">Made {escape(_local(now, zone))}. Figures from Mailchimp\'s campaign '
        "reports, kept on this machine only.</p>",
    ]
    if not report.keyed:
        parts.append("<section><h2>The rehearsal outbox</h2><p>No MAILCHIMP_API_KEY was set, "
                     "so Mailchimp's reports were not read. These messages are in "
                     f"<code>{escape(str(report.outbox_path))}</code>:</p>")
        if report.outbox:
            parts.append("<ul>" + "".join(
                f"<li><code>{escape(name)}</code>: {escape(subject)} "
                f'<span class="meta">{escape(date)}</span></li>'
                for name, subject, date in report.outbox) + "</ul>")
        else:
            parts.append("<p>It is empty.</p>")
        parts.append("</section>")
    if not emails:
        parts.append("<p>No figures yet: no email to the list has been reported on.</p>")
    else:
        parts += _overview(emails, zone)
        for number, email in enumerate(reversed(emails), 1):
            parts += _email_section(email, zone, number)
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _local(text_or_moment, zone):
    moment = _time(text_or_moment) if isinstance(text_or_moment, str) else text_or_moment
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _key():
    return ('<p class="key meta" aria-hidden="true"><span class="opens"></span>unique opens'
            '<span class="clicks"></span>unique clicks</p>')


def _overview(emails, zone):
    rows = "".join(
        f"<tr><td>{escape(_day(e['sent_at'], zone))}</td><td>{escape(e['subject'])}</td>"
        f"<td>{escape(', '.join(e.get('groups') or []) or 'everyone')}</td>"
        + "".join(f'<td class="n">{value}</td>' for value in _cells(e.get("latest") or {}))
        + "</tr>" for e in reversed(emails))
    return [
        "<section>", "<h2>Opens and clicks per email</h2>",
        "<figure>", _bars(emails, zone), _key(),
        "<figcaption>Unique opens and unique clicks of each email, by the day it went out."
        "</figcaption>", "</figure>",
        "<table><caption>Every email sent to the list, newest first</caption><thead><tr>"
        "<th>Sent</th><th>Subject</th><th>To</th><th class=\"n\">Recipients</th>"
        "<th class=\"n\">Opened</th><th class=\"n\">Clicked</th>"
        "<th class=\"n\">Unsubscribed</th><th class=\"n\">Bounced</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>", "</section>",
    ]


def _cells(latest):
    if not latest:
        return ["–"] * 5
    return [latest["emails_sent"],
            f"{latest['unique_opens']} ({_percent(latest['open_rate'])})",
            f"{latest['unique_clicks']} ({_percent(latest['click_rate'])})",
            latest["unsubscribed"], latest["hard_bounces"] + latest["soft_bounces"]]


def _email_section(email, zone, number):
    latest = email.get("latest") or {}
    parts = [f'<section aria-labelledby="email-{number}">',
             f'<h2 id="email-{number}">{escape(email["subject"])}</h2>',
             f'<p class="meta">Sent {escape(_local(email["sent_at"], zone))} to '
             f"{escape(', '.join(email.get('groups') or []) or 'everyone on the list')} "
             f"(campaign {escape(email['campaign_id'])}); {escape(_summary(latest))}.</p>"]
    hours = sorted((email.get("hours") or {}).items())
    if hours:
        parts += ["<figure>", _lines(hours, email["subject"], f"chart-{number}"), _key(),
                  "<figcaption>Unique opens and clicks in the first 24 hours, added up hour by "
                  "hour.</figcaption>", "</figure>"]
    history = email.get("history") or []
    if len(history) > 1:
        parts.append("<table><caption>As each report run saw it</caption><thead><tr>"
                     '<th>Checked</th><th class="n">Opened</th><th class="n">Clicked</th>'
                     '<th class="n">Unsubscribed</th></tr></thead><tbody>' + "".join(
                         f"<tr><td>{escape(_local(point['at'], zone))}</td>"
                         f'<td class="n">{point["unique_opens"]}</td>'
                         f'<td class="n">{point["unique_clicks"]}</td>'
                         f'<td class="n">{point["unsubscribed"]}</td></tr>'
                         for point in history) + "</tbody></table>")
    links = email.get("top_links") or []
    if links:
        parts.append("<table><caption>Top links</caption><thead><tr><th>Link</th>"
                     '<th class="n">Clicks</th><th class="n">Unique</th></tr></thead><tbody>'
                     + "".join(f"<tr><td>{escape(link['url'])}</td>"
                               f'<td class="n">{link["total_clicks"]}</td>'
                               f'<td class="n">{link["unique_clicks"]}</td></tr>'
                               for link in links[:TOP_LINKS]) + "</tbody></table>")
    parts.append("</section>")
    return parts


WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 40, 30, 12


def _scale(values):
    """A round top for the axis, at least 1."""
    top = max([1, *values])
    step = 10 ** math.floor(math.log10(top))
    return math.ceil(top / step) * step


def _axis(top):
    inner = HEIGHT - BOTTOM - TOP
    out = [f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}"/>',
           f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" '
           f'y2="{HEIGHT - BOTTOM}"/>']
    for value in (0, top // 2 if top >= 2 else None, top):
        if value is None:
            continue
        y = TOP + inner - inner * value / top
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    return out


def _svg(title, body, chart_id):
    return (f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
            f'role="img" aria-labelledby="{chart_id}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{chart_id}">{escape(title)}</title>' + "".join(body) + "</svg>")


def _bars(emails, zone):
    """Grouped bars: each email's unique opens and clicks, oldest on the left."""
    values = [(e.get("latest") or {}) for e in emails]
    top = _scale([v.get("unique_opens", 0) for v in values]
                 + [v.get("unique_clicks", 0) for v in values])
    inner, slot = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT) / max(len(emails), 1)
    bar = min(slot * 0.35, 40)
    body = _axis(top)
    described = []
    for index, (email, value) in enumerate(zip(emails, values, strict=True)):
        x = LEFT + index * slot + slot / 2
        for offset, name, css in ((-bar, "unique_opens", "opens"), (0, "unique_clicks",
                                                                     "clicks")):
            height = inner * value.get(name, 0) / top
            body.append(f'<rect class="{css}" x="{x + offset:.1f}" '
                        f'y="{TOP + inner - height:.1f}" width="{bar:.1f}" '
                        f'height="{height:.1f}"/>')
        body.append(f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
                    f"{escape(_day(email['sent_at'], zone)[5:])}</text>")
        described.append(f"{_day(email['sent_at'], zone)} {email['subject']}: "
                         f"{value.get('unique_opens', 0)} opens, "
                         f"{value.get('unique_clicks', 0)} clicks")
    return _svg("Unique opens and clicks per email: " + "; ".join(described), body, "chart-all")


def _lines(hours, subject, chart_id):
    """Two lines: unique opens and clicks added up over the first 24 hours."""
    opens, clicks, total_opens, total_clicks = [], [], 0, 0
    for _, hour in hours:
        total_opens += hour["unique_opens"]
        total_clicks += hour["recipients_clicks"]
        opens.append(total_opens)
        clicks.append(total_clicks)
    top = _scale(opens + clicks)
    inner, step = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT) / max(len(hours) - 1, 1)
    body = _axis(top)

    def points(series):
        return " ".join(f"{LEFT + i * step:.1f},{TOP + inner - inner * v / top:.1f}"
                        for i, v in enumerate(series))

    body.append(f'<polyline class="opens" points="{points(opens)}"/>')
    body.append(f'<polyline class="clicks" points="{points(clicks)}"/>')
    for index in range(0, len(hours), 6):
        body.append(f'<text x="{LEFT + index * step:.1f}" y="{HEIGHT - 10}" '
                    f'text-anchor="middle">+{index} h</text>')
    return _svg(f"{subject}: {opens[-1]} unique opens and {clicks[-1]} clicks after "
                f"{len(hours)} hours", body, chart_id)

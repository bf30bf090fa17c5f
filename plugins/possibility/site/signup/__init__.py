"""The Mailchimp signup form: puts `SIGNUP` into every template's context.

`SIGNUP.form` is the form (None when it is not configured), `SIGNUP.texts` its texts,
`SIGNUP.archive` the "See past issues" link beside every form ({url, on_site}, or None).

The form itself is data: `content/audience.json`, written from Mailchimp's embed code by
`invoke audience-import` and completed with API ids by `invoke audience-sync`; settings
are documented in `possibility.core.signup.settings`. The audience file is read afresh on
every build (so autoreload sees a new import) and never touches the network. No file means
no form: the theme's signup slots then show a plain invitation instead of a dead form.

The landing pages the form leads to (SIGNUP_THANKS_URL, SIGNUP_CONFIRMED_URL) are ordinary
pages in content/pages/; a build whose pages lack one says so.
"""

import logging

from pelican import signals

from possibility.core.signup.audience_file import read_audience
from possibility.core.signup.settings import read_settings

from .form import form_context, site_link

logger = logging.getLogger(__name__)
CONTEXT_KEY = "SIGNUP"


def add_form_to_context(generator):
    """Once per build (all generators share one context), decide the form."""
    if CONTEXT_KEY in generator.context:
        return
    settings = read_settings(generator.settings)
    path = settings.audience_file
    form = None
    if path is not None and path.is_file():
        form = form_context(read_audience(path), settings)
    else:
        logger.info("Signup form off: no audience file%s", f" at {path}" if path else "")
    generator.context[CONTEXT_KEY] = {
        "form": form,
        "texts": settings.texts,
        "archive": site_link(settings.archive_url),
    }


def missing_landing_pages(settings, page_urls):
    """The landing-page settings (name, url) that no page of the site answers."""
    signup = read_settings(settings)
    wanted = (("SIGNUP_THANKS_URL", signup.thanks_url),
              ("SIGNUP_CONFIRMED_URL", signup.confirmed_url))
    return [(name, url) for name, url in wanted
            if site_link(url)["on_site"] and url not in page_urls]


def check_landing_pages(generator):
    """Warn when a page the form links to (and Mailchimp is told to send readers to) is
    missing: Mailchimp's redirects and the page script's link would end on a 404."""
    form = generator.context.get(CONTEXT_KEY, {}).get("form")
    if not form:
        return
    urls = {page.url for name in ("pages", "hidden_pages") for page in getattr(generator, name)}
    for name, url in missing_landing_pages(generator.settings, urls):
        logger.warning("Signup: no page of the site is at %s (%s); add one in content/pages/ "
                       "with 'URL: %s' and 'Save_as: %sindex.html'", url, name, url, url)


def register():
    signals.generator_init.connect(add_form_to_context)
    signals.page_generator_finalized.connect(check_landing_pages)

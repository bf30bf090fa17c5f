"""The Mailchimp signup form: puts `SIGNUP` into every template's context.

`SIGNUP.form` is the form (None when it is not configured), `SIGNUP.texts` its texts.

The form itself is data: `content/audience.json`, written from Mailchimp's embed code by
`invoke audience-import` and completed with API ids by `invoke audience-sync`; settings
are documented in `possibility.core.signup.settings`. The audience file is read afresh on
every build (so autoreload sees a new import) and never touches the network. No file means
no form: the theme's signup slots then show a plain invitation instead of a dead form.
"""

import logging

from pelican import signals

from possibility.core.signup.audience_file import read_audience
from possibility.core.signup.settings import read_settings

from .form import form_context

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
    generator.context[CONTEXT_KEY] = {"form": form, "texts": settings.texts}


def register():
    signals.generator_init.connect(add_form_to_context)

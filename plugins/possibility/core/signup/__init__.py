"""The signup form's audience file (`content/audience.json`), its import from Mailchimp's
embed code, and the SIGNUP_* settings."""

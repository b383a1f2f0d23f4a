"""HTTP concerns only: cookies, CSRF, safe redirects, responses. No sign-in rules here."""

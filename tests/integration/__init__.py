"""The extension inside the kinds of Flask apps people already have, with the real libraries
those apps use installed (Flask's async extra, Flask-Login...)."""

"""``python -m example``: upgrade the example's database, then serve it on 127.0.0.1."""

from __future__ import annotations

import os

from flask_migrate import upgrade

from example.app import create_app


def main() -> None:
    """Upgrade the database with the shipped migrations and run the development server."""
    app = create_app()
    with app.app_context():
        upgrade()
    port = int(os.environ.get("PORT", "5000"))
    print(f" * flask-authadapter example: http://127.0.0.1:{port}/", flush=True)
    app.run(host="127.0.0.1", port=port, debug=False)


if __name__ == "__main__":
    main()

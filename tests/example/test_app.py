"""The example app upgrades its database with the shipped migrations and serves its page."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import upgrade

from example.app import create_app


def test_the_example_serves_its_home_page_on_a_migrated_database(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'example.db'}"})
    with app.app_context():
        upgrade()
    response = app.test_client().get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<strong>0</strong> user(s)" in body
    assert "sqlite" in body

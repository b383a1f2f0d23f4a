"""The Flask-free core: records, rules and errors. Imports neither Flask nor SQLAlchemy."""

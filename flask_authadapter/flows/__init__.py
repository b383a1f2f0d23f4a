"""The sign-in flows: each takes the app's state and what the request said, and answers."""

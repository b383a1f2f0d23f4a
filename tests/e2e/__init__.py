"""End-to-end tests: the example app in a real Chromium, driven by Playwright."""

"""A test-only app that parks one stage of the pipeline inside a worker, so a test can kill the
worker at a known point (mid-stage) instead of racing a stage that takes under a second.

Installed by tests/settings.py only when DUBSITE_TEST_HOLD_STAGE is set (e.g. `asr`). When the
stage starts, the worker writes DUBSITE_TEST_HOLD_FILE and waits while that file exists.
"""

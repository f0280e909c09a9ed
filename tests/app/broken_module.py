"""A module whose import fails, as a user's app might (APP_MODULE error reporting)."""
raise ImportError("cannot import name 'missing_helper' from 'somewhere'")

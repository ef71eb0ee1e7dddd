"""Identity providers: each one a small authlib client module with an ``init_app``."""

from tests.oidc_provider import oidc_provider  # noqa: F401  (a shared fixture)

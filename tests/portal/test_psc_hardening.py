"""Issue 17, line 6: production refuses a Pro Santé Connect issuer over http; staging accepts one
on loopback (the production-shaped cluster's local provider). The untrustworthy answers of a
provider are tested through the real provider process in ``test_psc_untrusted_provider.py``."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.config import ConfigurationError
from tests.conftest import production_config


@pytest.mark.parametrize("environment, issuer, refused", [
    ("production", "http://127.0.0.1:9500", True),
    ("staging", "http://psc.example.fr", True),
    ("staging", "http://127.0.0.1:9500", False),
])
def test_production_refuses_a_pro_sante_connect_issuer_over_http(environment, issuer, refused, database_url):
    config = production_config(ENV_NAME=environment, DATABASE_URL=database_url, PSC_ISSUER=issuer,
                               PSC_CLIENT_ID="c", PSC_CLIENT_SECRET="s")
    if refused:
        with pytest.raises(ConfigurationError, match="PSC_ISSUER"):
            create_app(config)
    else:
        assert create_app(config).config["STAGING"]

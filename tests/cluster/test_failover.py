"""Issue 19, line 4: the primary is killed and the synchronous standby promoted; no acknowledged
filing is lost, the app nodes reconnect by themselves (libpq multi-host, read-write target), and
the audit chain and transparency log still verify. A cluster of its own (this module's)."""

from __future__ import annotations

from tests.cluster.conftest import wait_until


def test_promoting_the_standby_after_the_primary_dies_loses_no_acknowledged_filing(cluster_client, cluster):
    token = cluster_client.token(cluster_client.create_warehouse("EDS bascule"))
    citizens = cluster_client.citizens()
    acknowledged = []
    for citizen in citizens[:6]:
        http = cluster_client.session()
        assert cluster_client.sign_in(http, citizen.sub).status_code == 302
        if cluster_client.file_self(http, citizen.nir).status_code == 303:
            acknowledged.append(citizen.nir)
    assert len(acknowledged) == 6
    cluster.failover()  # right after the last acknowledgement: SIGKILL to the primary, then promote

    def file_after(citizen) -> bool:
        http = cluster_client.session()
        try:
            return cluster_client.sign_in(http, citizen.sub).status_code == 302 and \
                cluster_client.file_self(http, citizen.nir).status_code == 303
        except OSError:
            return False

    for citizen in citizens[6:9]:
        wait_until(lambda: file_after(citizen), f"a filing after the failover ({citizen.sub})", attempts=300, pause=0.2)
        acknowledged.append(citizen.nir)
    for node in ("app1", "app2"):
        answer = cluster_client.lookup(token, acknowledged, base=cluster_client.node_url(node))
        assert answer.status_code == 200
        assert [result["opposed"] for result in answer.json()["results"]] == [True] * 9
    assert cluster.status()["primary"] == "pg-standby"
    report = cluster.flask("registry", "verify-audit")
    assert "OK" in report, report

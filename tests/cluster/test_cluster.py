"""Issue 19 on a running ``deploy/cluster``: an acknowledged opposition is seen by the very next
lookup on every node; supervisord restarts what dies and a job whose worker was killed finishes
with no one's help; the public proxy hides the metrics, the probes and the back-office."""

from __future__ import annotations

import requests

from tests.cluster.conftest import wait_until


def test_an_acknowledged_opposition_is_seen_by_the_next_lookup_on_every_node(cluster_client):
    token = cluster_client.token(cluster_client.create_warehouse("EDS cohérence"))
    for citizen in cluster_client.citizens()[:8]:
        before = [cluster_client.lookup(token, [citizen.nir], base=cluster_client.node_url(node)).json()["results"][0]["opposed"]
                  for node in ("app1", "app2")]
        http = cluster_client.session()
        assert cluster_client.sign_in(http, citizen.sub).status_code == 302
        filed = cluster_client.file_self(http, citizen.nir)
        assert filed.status_code == 303 and "/mon-espace/recus/" in filed.headers["Location"]
        after = [cluster_client.lookup(token, [citizen.nir], base=cluster_client.node_url(node)).json()["results"][0]["opposed"]
                 for node in ("app1", "app2")]  # at once, no pause: the filing was acknowledged
        assert (before, after) == ([False, False], [True, True])


def test_a_killed_app_node_is_restarted_and_the_proxy_serves_meanwhile(cluster_client, cluster):
    token = cluster_client.token(cluster_client.create_warehouse("EDS redémarrage"))
    nir = cluster_client.citizens()[20].nir
    old = cluster.kill("app1")
    answers = [cluster_client.lookup(token, [nir]).status_code for _ in range(20)]
    assert answers == [200] * 20  # the proxy retries a refused connection on the other node
    wait_until(lambda: cluster.ctl("pid", "app1", check=False).stdout.strip() not in ("", "0", str(old)),
               "app1's restart")
    wait_until(lambda: cluster._http_ok(cluster.state["ports"]["app1"], "/readyz"), "app1's readiness")
    assert cluster_client.lookup(token, [nir], base=cluster_client.node_url("app1")).status_code == 200


def test_a_job_whose_worker_is_killed_is_resumed_and_finishes_exactly_once(cluster_client, cluster):
    token = cluster_client.token(cluster_client.create_warehouse("EDS reprise", ))
    citizens = cluster_client.citizens()
    lines = 1_500_000
    body = "".join(citizens[n % 10].nir + "\n" for n in range(lines)).encode()
    sent = cluster_client.send_job(token, body)
    assert sent.status_code == 202, sent.text
    job_id = sent.json()["id"]
    wait_until(lambda: 0 < cluster_client.job(token, job_id)["counts"]["lines"] < lines, "the job's first chunks",
               attempts=3000, pause=0.02)
    killed = cluster.kill("worker")
    wait_until(lambda: cluster.ctl("pid", "worker", check=False).stdout.strip() not in ("", "0", str(killed)),
               "the worker's restart")
    done = wait_until(lambda: (state := cluster_client.job(token, job_id))["status"] == "done" and state, "the job's end",
                      attempts=3000)
    assert done["counts"]["lines"] == lines
    result = requests.get(cluster_client.public + f"/api/v1/jobs/{job_id}/result", verify=cluster_client.verify, timeout=120,
                          headers={"Authorization": "Bearer " + token})
    assert result.status_code == 200
    rows = result.text.splitlines()
    assert rows[0] == "line,status,reason" and len(rows) == lines + 1
    assert [int(row.split(",", 1)[0]) for row in rows[1:]] == list(range(1, lines + 1))  # each line once, in order
    worker_metrics = requests.get(f"http://127.0.0.1:{cluster.state['ports']['worker-metrics']}/metrics", timeout=30)
    finished = [line for line in worker_metrics.text.splitlines() if line.startswith("registre_jobs_finished_total")]
    assert finished == ['registre_jobs_finished_total{status="done"} 1.0']  # counted by the worker that finished it


def test_the_public_proxy_hides_metrics_probes_and_the_back_office(cluster_client):
    for path in ("/metrics", "/readyz", "/livez", "/staff/connexion"):
        public = requests.get(cluster_client.public + path, verify=cluster_client.verify, timeout=30)
        internal = requests.get(cluster_client.internal + path, verify=cluster_client.verify, timeout=30)
        assert (path, public.status_code, internal.status_code) == (path, 404, 200)
    assert "registre_" in requests.get(cluster_client.internal + "/metrics", verify=cluster_client.verify, timeout=30).text
    for disguised in ("/%73taff/connexion", "/%6Detrics", "/%72eadyz", "//staff/connexion", "/en/staff/connexion",
                      "/staff%2Fconnexion", "/%2Fstaff/connexion", "///metrics"):
        answer = requests.get(cluster_client.public + disguised, verify=cluster_client.verify, timeout=30, allow_redirects=False)
        assert answer.status_code != 200, disguised  # never served through the public listener

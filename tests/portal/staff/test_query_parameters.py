"""Query parameters of the back-office pages: whatever a link or a hand-edited address carries,
the answer is a page (with a message when a value makes no sense), never a server error.

The sweep takes every staff page the app serves (its URL map, so a new page is swept without
being listed here), signed in with each role, and sends it the parameters the page reads plus
stray ones, with values at the edges: the last day of the calendar, integers past 64 bits,
digits of other scripts, control characters, very long text, repeated parameters."""

from __future__ import annotations

import csv
import html
import io

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.portal.staff.conftest import PASSWORD, totp_now

# The parameters each page reads; every page also gets stray ones.
AUDIT = ("action", "actor", "target", "since", "until", "before")
READS = {"staff.audit": AUDIT, "staff.audit_export": AUDIT, "staff.login": ("next",), "staff.second_factor": ("next",)}
STRAY = ("page", "q", "lang", "sort")
ROLES = ("agent", "campaign_manager", "registry_admin")

EDGE_VALUES = [
    "", " ", "9999-12-31", "9999-12-30", "0001-01-01", "1-1-1", "10000-01-01", "2024-02-30", "2024-13-01",
    "31/12/9999", "99999999999999999999999", "9223372036854775807", "9223372036854775808", "-1", "0", "-0",
    "2147483648", "1e309", "nan", "\u00b2", "\u0661\u0662", "\uff11\uff12", "\x00", "a\x00b", "\ud7ff", "%", "%00", "staff.",
    "staff:1", "subject:" + "9" * 30, "x" * 65, "x" * 5000, "'; --", "<script>", "\u202e", "NULL", "https://evil.example/",
    "//evil.example", "/staff/audit",
]
EDGES = st.sampled_from(EDGE_VALUES)
# Values shaped like what a parameter expects, at its edges, beside anything at all.
DATES = st.one_of(st.dates().map(str), st.sampled_from(["9999-12-31", "0001-01-01"]), st.dates().map(lambda d: d.strftime("%d/%m/%Y")))
INTEGERS = st.one_of(st.integers().map(str), st.integers(2**31 - 2, 10**40).map(str), st.integers(-(10**40), 0).map(str))
SHAPED = {"since": DATES, "until": DATES, "before": INTEGERS}
ANYTHING = st.one_of(EDGES, st.text(max_size=80), st.integers().map(str))


def staff_pages(app) -> list[str]:
    """Every staff page answering GET without a part in its path (those are reached by links)."""
    pages = []
    for rule in app.url_map.iter_rules():
        if (rule.rule.startswith(("/staff", "/gestion", "/en/gestion")) and "GET" in rule.methods
                and not rule.arguments):
            pages.append((rule.rule, rule.endpoint))
    return sorted(pages)


def signed_in(app, role: str) -> FlaskClient:
    """A client of its own, signed in as a new account with ``role``, through the pages."""
    email = f"{role}@sante.gouv.fr"
    result = app.test_cli_runner().invoke(args=["staff", "create", email, "--role", role], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert client.post("/staff/connexion", data={"email": email, "password": PASSWORD}).status_code == 302
    assert client.post("/staff/connexion/code", data={"code": totp_now(app, email)}).status_code == 302
    return client


@pytest.fixture
def clients(app) -> dict[str, FlaskClient]:
    return {role: signed_in(app, role) for role in ROLES}


@st.composite
def requests_to(draw, pages):
    """A page (those that read parameters as often as all the others together) and 1 to 4
    parameters, each with a value shaped for it or anything at all."""
    reading = [page for page in pages if page[1] in READS]
    path, endpoint = draw(st.one_of(st.sampled_from(reading), st.sampled_from(pages)))
    names = draw(st.lists(st.sampled_from(READS.get(endpoint, STRAY) + STRAY[:1]), min_size=1, max_size=4))
    return path, [(name, draw(st.one_of(SHAPED.get(name, ANYTHING), ANYTHING))) for name in names]


def test_the_sweep_covers_the_pages_that_read_parameters(app):
    swept = {endpoint for _, endpoint in staff_pages(app)}
    assert {"staff.audit", "staff.audit_export", "staff.home", "staff.warehouses", "staff.assisted_filing"} <= swept


def role_for(clients, path: str) -> str:
    """The first role the page opens for (every role is refused some pages: 403 is no sweep)."""
    for role in ROLES:
        if clients[role].get(path).status_code < 400:
            return role
    return ROLES[-1]


def test_no_query_parameter_of_a_staff_page_gives_a_server_error(app, clients):
    pages = staff_pages(app)
    roles = {path: role_for(clients, path) for path, _ in pages}

    @settings(max_examples=300, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(requests_to(pages))
    def sweep(request):
        path, pairs = request
        response = clients[roles[path]].get(path, query_string=pairs)
        response.get_data()  # a streamed export fails while it streams, not before
        assert response.status_code < 500, (path, response.status_code)

    sweep()


def test_every_parameter_a_staff_page_reads_answers_every_edge_value_without_a_server_error(app, clients):
    """The deterministic half of the sweep: each parameter alone, at each edge value, for the
    role the page is for (the audit is the registry administrators')."""
    paths = {endpoint: path for path, endpoint in staff_pages(app)}
    failures = []
    for endpoint, names in READS.items():
        for name in names:
            for value in EDGE_VALUES:
                response = clients["registry_admin"].get(paths[endpoint], query_string={name: value})
                response.get_data()
                if response.status_code >= 500:
                    failures.append((endpoint, name, EDGE_VALUES.index(value)))
    assert failures == []


@pytest.mark.parametrize("query", [
    "until=9999-12-31", "since=9999-12-31", "since=0001-01-01&until=9999-12-31",
    "before=99999999999999999999999", "before=9223372036854775808", "before=2147483648", "before=2147483647",
    "before=-5", "before=%C2%B2",
])
@pytest.mark.parametrize("page", ["/staff/audit", "/staff/audit/export.csv"])
def test_audit_filters_at_the_edges_of_the_calendar_and_of_integers_answer_without_a_server_error(client, admin, page, query):
    response = client.get(f"{page}?{query}")
    assert response.status_code == 200
    if page.endswith(".csv"):
        assert response.get_data(as_text=True).startswith("seq,occurred_at")


@pytest.mark.parametrize("query", ["action=a%00b", "actor=staff%001", "target=subject:%00", "actor=%1B[31m"])
@pytest.mark.parametrize("page", ["/staff/audit", "/staff/audit/export.csv"])
def test_a_filter_holding_a_control_character_is_explained_and_exports_nothing(client, admin, page, query):
    response = client.get(f"{page}?{query}")
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "Ce filtre contient des caractères non autorisés." in html.unescape(response.get_data(as_text=True))


def test_an_export_with_a_bad_date_is_refused_rather_than_exporting_the_whole_trail(client, admin):
    response = client.get("/staff/audit/export.csv?since=hier")
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "Saisissez une date au format JJ/MM/AAAA." in response.get_data(as_text=True)
    assert "audit.exported" not in client.get("/staff/audit?action=audit.").get_data(as_text=True)


def test_the_last_day_of_the_calendar_includes_every_event(client, admin):
    everything = client.get("/staff/audit").get_data(as_text=True)
    until_the_end = client.get("/staff/audit?until=9999-12-31")
    assert until_the_end.status_code == 200
    assert until_the_end.get_data(as_text=True).count("<tr") == everything.count("<tr") > 1
    rows = list(csv.reader(io.StringIO(client.get("/staff/audit/export.csv?until=9999-12-31").get_data(as_text=True))))
    assert len(rows) > 2


def test_a_cursor_past_every_event_shows_the_first_page(client, admin):
    first = client.get("/staff/audit").get_data(as_text=True)
    assert client.get("/staff/audit?before=99999999999999999999999").get_data(as_text=True).count("<tr") == first.count("<tr")


@pytest.mark.parametrize("client_id", ["%00", "rno_%00", "x" * 49, "%C2%B2", "rno_unknown"])
@pytest.mark.parametrize("action", ["secret", "desactivation"])
def test_a_warehouse_address_naming_no_possible_client_is_not_found(client, admin, client_id, action):
    assert client.post(f"/staff/entrepots/{client_id}/{action}").status_code == 404

"""The literacy item statistics are staff pages: campaign managers and admins, not agents."""


def test_a_campaign_manager_reads_the_item_statistics(client, make_staff, sign_in):
    sign_in(make_staff("campaign_manager"))
    assert client.get("/gestion/modules/").status_code == 200


def test_an_agent_is_refused_and_an_anonymous_visitor_sent_to_sign_in(client, make_staff, sign_in):
    assert client.get("/gestion/modules/").status_code == 302
    sign_in(make_staff("agent"))
    assert client.get("/gestion/modules/").status_code == 403

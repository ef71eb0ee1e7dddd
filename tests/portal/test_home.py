def test_the_home_page_speaks_french_by_default(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in page
    assert "Dites non, une seule fois" in page
    assert 'href="/en/"' in page


def test_the_home_page_has_an_english_twin(client):
    response = client.get("/en/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en">' in page
    assert "Say no, once, to the reuse of your health data" in page
    assert "Dites non" not in page
    assert 'href="/"' in page


def test_an_unknown_page_is_a_404(client):
    assert client.get("/nowhere").status_code == 404

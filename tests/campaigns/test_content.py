from campaigns.content import render_markdown


def test_markdown_is_rendered_with_headings_under_the_page_title():
    html = render_markdown("# Pourquoi\n\nVos données **vous** appartiennent.\n\n- soins\n- recherche")
    assert "<h2>Pourquoi</h2>" in html
    assert "<strong>vous</strong>" in html
    assert "<li>soins</li>" in html
    assert "<h1>" not in html


def test_raw_html_and_scripts_never_reach_the_page():
    html = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n[x](javascript:alert(1))')
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert "<img" not in html
    assert "href" not in html


def test_links_keep_safe_targets_only():
    html = render_markdown("[site](https://www.service-public.fr) et [courriel](mailto:contact@example.org)")
    assert 'href="https://www.service-public.fr"' in html
    assert 'href="mailto:contact@example.org"' in html
    assert "noopener" in html

import io

import segno

from campaigns.qrcodes import qr_png, qr_svg


def test_the_png_is_a_png_of_a_qr_code():
    png = qr_png("https://registre.example.fr/c/affiche1")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_svg_is_scalable_and_titled():
    svg = qr_svg("https://registre.example.fr/c/affiche1", title="QR code affiche1").decode()
    assert "<svg" in svg and "<title>QR code affiche1</title>" in svg


def test_the_code_points_to_the_vanity_link():
    # segno draws what it is given: the same payload gives the same matrix
    url = "https://registre.example.fr/c/affiche1"
    expected = segno.make(url, error="q", boost_error=False)
    out = io.BytesIO()
    expected.save(out, kind="svg", scale=10, border=4, xmldecl=True, svgclass=None, lineclass=None)
    assert qr_svg(url) == out.getvalue()

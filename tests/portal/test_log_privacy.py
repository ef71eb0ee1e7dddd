import logging
import threading
import urllib.request

from werkzeug.serving import make_server


def test_request_log_lines_carry_no_client_address(app, caplog):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/") as response:
                assert response.status == 200
            server.shutdown()
            thread.join()
    finally:
        server.server_close()
    request_lines = [r.getMessage() for r in caplog.records if '"GET / HTTP/1.1"' in r.getMessage()]
    assert len(request_lines) == 1
    assert "127.0.0.1" not in request_lines[0]
    assert request_lines[0].startswith("- - - [")

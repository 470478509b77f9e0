"""What the benchmarks share: one HTTP request per connection, and a guard's login."""
import http.client
import re

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def request(port, path, cookie=None, method="GET", body=None, headers=None, timeout=30):
    """(response, body bytes) of one request on a new connection to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    all_headers = {"Cookie": cookie} if cookie else {}
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def login(port, username="guard", password="wyapp-demo"):
    """Log in through the form; returns (session cookie, CSRF token for htmx headers)."""
    response, page = request(port, "/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    cookie = response.getheader("Set-Cookie").split(";")[0]
    body = b"csrf_token=" + token + f"&username={username}&password={password}".encode()
    response, _ = request(port, "/login", cookie, "POST", body, FORM)
    assert response.status == 302, response.status
    cookie = response.getheader("Set-Cookie").split(";")[0]
    response, home = request(port, "/", cookie)
    cookie = (response.getheader("Set-Cookie") or cookie).split(";")[0]  # now with the secret
    csrf = re.search(rb'name="csrf-token" content="([^"]+)"', home).group(1).decode()
    return cookie, csrf

"""Start the server (used by `make run` and the browser tests): asgi.py, i.e. the Streamlit app (app.py) and the
Explore API (/api/explore/v2.1/) on the same port, served by `streamlit run` (which accepts an st.App entry)."""

import socket
import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli
from streamlit.web.server.starlette import starlette_server

# The agreed layout keeps page scripts in `pages/`, and every page is registered with st.navigation. Streamlit
# 1.67 still probes a `pages/` folder for the legacy (v1) multipage mode on the first session of a fresh server,
# so a deep link such as /jeu-de-donnees?id=... opened first shows a spurious "Page not found" dialog (the page
# does render). st.navigation sets this flag to False on its first call; setting it before any session starts
# makes the first visitor's deep link behave like every later one.
PagesManager.uses_pages_directory = False

_bind_socket = starlette_server._bind_socket  # noqa: SLF001 - wrapped, not replaced


def _bind_socket_nodelay(address: str, port: int, backlog: int) -> socket.socket:
    """Streamlit binds its listening socket itself, as `socket.socket(family)`: proto 0, so asyncio, which sets
    TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, leaves Nagle's algorithm on for every connection. A
    response written in two sends (headers, then body) then waits for the client's delayed ACK: every request but
    the first on a keep-alive connection took 40 ms more (the API, static files, /_stcore/health). Accepted sockets
    inherit TCP_NODELAY from the listening one on Linux."""
    sock = _bind_socket(address, port, backlog)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


starlette_server._bind_socket = _bind_socket_nodelay  # noqa: SLF001 - see _bind_socket_nodelay

if __name__ == "__main__":
    sys.argv = ["streamlit", "run", "asgi.py", *sys.argv[1:]]
    sys.exit(cli.main())

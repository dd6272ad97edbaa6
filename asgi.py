"""The ASGI application: the Streamlit app (app.py) and the Opendatasoft-compatible API (/api/explore/v2.1/) on one
port, in one process. Started by serve.py (`make run`, the browser tests) with `streamlit run asgi.py`."""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from api.feeds import FeedLinkHeader
from api.routes import ROUTES

# FeedLinkHeader: the app's HTML pages announce the Atom feeds in an HTTP Link header (RFC 8288), Streamlit having no
# way to put a <link rel="alternate"> into the page head.
app = st.App(str(Path(__file__).resolve().parent / "app.py"), routes=ROUTES, middleware=[Middleware(FeedLinkHeader)])

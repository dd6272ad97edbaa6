"""The ASGI application: the Streamlit app (app.py) and the Opendatasoft-compatible API (/api/explore/v2.1/) on one
port, in one process. Started by serve.py (`make run`, the browser tests) with `streamlit run asgi.py`."""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from api.feeds import FeedLinkHeader
from api.not_found import NotFoundPage
from api.routes import ROUTES

APP_FILE = Path(__file__).resolve().parent / "app.py"

# FeedLinkHeader: the app's HTML pages announce the Atom feeds in an HTTP Link header (RFC 8288), Streamlit having no
# way to put a <link rel="alternate"> into the page head.
# NotFoundPage: an address that is no page of app.py nor a server path gets a French 404 page instead of the app
# with Streamlit's English « Page not found » dialog (answered 200).
app = st.App(str(APP_FILE), routes=ROUTES,
             middleware=[Middleware(NotFoundPage, app_file=APP_FILE, routes=ROUTES), Middleware(FeedLinkHeader)])

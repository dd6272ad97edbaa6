"""The ASGI application: the Streamlit app (app.py) and the Opendatasoft-compatible API (/api/explore/v2.1/) on one
port, in one process. Started by serve.py (`make run`, the browser tests) with `streamlit run asgi.py`."""

from pathlib import Path

import streamlit as st

from api.routes import ROUTES

app = st.App(str(Path(__file__).resolve().parent / "app.py"), routes=ROUTES)

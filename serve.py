"""Start the server (used by `make run` and the browser tests): asgi.py, i.e. the Streamlit app (app.py) and the
Explore API (/api/explore/v2.1/) on the same port, served by `streamlit run` (which accepts an st.App entry)."""

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

# The agreed layout keeps page scripts in `pages/`, and every page is registered with st.navigation. Streamlit
# 1.67 still probes a `pages/` folder for the legacy (v1) multipage mode on the first session of a fresh server,
# so a deep link such as /jeu-de-donnees?id=... opened first shows a spurious "Page not found" dialog (the page
# does render). st.navigation sets this flag to False on its first call; setting it before any session starts
# makes the first visitor's deep link behave like every later one.
PagesManager.uses_pages_directory = False

if __name__ == "__main__":
    sys.argv = ["streamlit", "run", "asgi.py", *sys.argv[1:]]
    sys.exit(cli.main())

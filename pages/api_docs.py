"""The « API » page: the Opendatasoft-compatible Explore API explained in French, with examples (ui/api_docs.py)."""

from ui import api_docs

api_docs.render()

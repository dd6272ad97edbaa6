"""Streamlit helpers drawing reuses (cards, detail, dataset tab, home block); all user text is escaped."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlencode

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit.errors import StreamlitAPIException

from catalogue.vocab import REUSE_TYPES, TOPICS
from queries.cache import cached
from reuses import guard, service, store
from reuses.sanitize import md_escape, md_url, render_html, safe_http_url
from reuses.settings import limits, proxy_settings
from reuses.store import SORTS, Reuse
from ui import format as fmt

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE_SIZE = 12
UNAVAILABLE = "Les réutilisations sont momentanément indisponibles. Merci de réessayer dans quelques instants."

GALLERY = ("pages/reuses.py", "reutilisations")
DETAIL = ("pages/reuse.py", "reutilisation")
SUBMIT = ("pages/reuse_submit.py", "proposer-une-reutilisation")
DATASET = ("pages/dataset.py", "jeu-de-donnees")


def safely(fn: Callable[..., T], *args: Any, default: T, **kwargs: Any) -> T:
    """Call the store; on a database problem show a French message instead of a traceback."""
    try:
        return fn(*args, **kwargs)
    except SQLAlchemyError:
        log.exception("reuse store unavailable")
        st.error(UNAVAILABLE)
        return default


def prefill_submission(params: Mapping[str, str], titles: Mapping[str, str]) -> None:
    """Seed the submission form, once per session, from its link: `?dataset=<id>` (a dataset page's « Proposer une
    réutilisation ») or what a saved dashboard's « Proposer comme réutilisation » sends (`type`, `url`, `title`,
    `permalink`, `datasets=a,b`). Only known types and datasets are taken; the rest is checked on submission."""
    if st.session_state.get("reuse_submit_prefilled"):
        return
    st.session_state["reuse_submit_prefilled"] = True
    chosen = [d for d in [params.get("dataset", ""), *str(params.get("datasets", "")).split(",")] if d in titles]
    if chosen:
        st.session_state["reuse_submit_datasets"] = list(dict.fromkeys(chosen))[: limits().datasets_max]
    if params.get("type") in REUSE_TYPES:
        st.session_state["reuse_submit_type"] = params["type"]
    for name, cap in (("title", limits().title_max), ("url", limits().url_max), ("permalink", limits().url_max)):
        value = str(params.get(name, "") or "").strip()
        if value:
            st.session_state[f"reuse_submit_{name}"] = value[:cap]


def client_address() -> str:
    """The visitor's address, the key of the login and submission limits: the socket's address, or the one our
    trusted reverse proxies put in TERRITOIRE_TRUSTED_PROXY_HEADER (see `reuses.guard.client_address`)."""
    proxy = proxy_settings()
    values = st.context.headers.get_all(proxy.header) if proxy.header else []
    return guard.client_address(st.context.ip_address, values, proxy)


def render_markdown(text: str, empty: str = "") -> None:
    """Markdown from outside (a reuse, a harvested description) as sanitised HTML: no remote image, no raw HTML,
    links marked rel="nofollow noopener" (`reuses.sanitize.render_html`). `empty` (Markdown) when nothing is left."""
    body = render_html(text)
    if body:
        st.html(body)
    elif empty:
        st.markdown(empty)


def page_link(target: tuple[str, str], label: str, query_params: dict[str, str] | None = None,
              icon: str | None = None) -> None:
    """st.page_link to a registered page; when the page is not registered (a page run on its own, as in
    AppTest), a plain relative Markdown link to its url_path. `label` is plain text and gets escaped."""
    path, url_path = target
    try:
        st.page_link(path, label=md_escape(label), query_params=query_params or None, icon=icon)
    except StreamlitAPIException:
        query = f"?{urlencode(query_params)}" if query_params else ""
        st.markdown(f"[{md_escape(label)}]({md_url(url_path + query)})")


@cached(ttl=300)
def _dataset_titles(catalogue_dir: str) -> dict[str, str]:
    return service.dataset_choices()


def dataset_titles() -> dict[str, str]:
    """{id: title} of the catalogue (cached 5 minutes, per catalogue directory)."""
    from config import get_settings

    return _dataset_titles(str(get_settings().catalogue_dir))


def render_image(reuse: Reuse, width: int | str = "stretch") -> None:
    """The stored thumbnail, served by this portal. An external `image_url` is never handed to the browser: the
    server fetched it once at submission (`service.fetch_image`), so no reader contacts the submitter's host."""
    if reuse.has_image:
        found = safely(store.get_image, reuse.id, default=None)
        if found is not None:
            st.image(found[0], width=width)


def _date(value: str | None) -> str:
    return fmt.date_fr((value or "")[:10])


def render_card(reuse: Reuse, titles: dict[str, str] | None = None) -> None:
    titles = titles if titles is not None else dataset_titles()
    with st.container(border=True):
        render_image(reuse)
        page_link(DETAIL, reuse.title, {"id": reuse.id})
        star = "⭐ À la une · " if reuse.featured else ""
        st.caption(f"{star}{md_escape(reuse.type_label)} · {md_escape(reuse.topic_label)}")
        st.caption(f"Par {md_escape(reuse.author_name)} · publiée le {_date(reuse.date)} · "
                   f"{fmt.number(reuse.views)} vue{'s' if reuse.views > 1 else ''}")
        if reuse.datasets:
            names = ", ".join(md_escape(titles.get(d, d)) for d in reuse.datasets)
            st.caption(f"Données utilisées : {names}")


def render_reuse_cards(reuses: Sequence[Reuse], columns: int = 3) -> None:
    """A grid of cards: image, title (link to the reuse page), type, author, date, datasets used."""
    titles = dataset_titles()
    cols = st.columns(columns)
    for i, reuse in enumerate(reuses):
        with cols[i % columns]:
            render_card(reuse, titles)


def render_dataset_reuses(dataset_id: str) -> None:
    """The « Réutilisations » tab of a dataset page: its published reuses and a link to propose one."""
    found = safely(store.list_published, dataset_id=dataset_id, default=[])
    if found:
        st.caption(f"{len(found)} réutilisation{'s' if len(found) > 1 else ''} publiée{'s' if len(found) > 1 else ''}")
        render_reuse_cards(found)
    else:
        st.info("Aucune réutilisation publiée pour ce jeu de données pour l'instant.")
    page_link(SUBMIT, "Proposer une réutilisation", {"dataset": dataset_id}, icon=":material/add_circle:")


def render_latest(n: int = 3) -> None:
    """Home page block: featured reuses first, then the latest published ones."""
    found = safely(store.list_latest, n, default=[])
    if found:
        render_reuse_cards(found, columns=min(max(n, 1), 3))
    else:
        st.caption("Aucune réutilisation publiée pour l'instant.")
    c1, c2 = st.columns(2)
    with c1:
        page_link(GALLERY, "Toutes les réutilisations", icon=":material/lightbulb:")
    with c2:
        page_link(SUBMIT, "Proposer une réutilisation", icon=":material/add_circle:")


def render_featured_dashboards(n: int = 3) -> None:
    """Home page block: dashboards proposed as reuses and published by a moderator, featured ones first (saved
    dashboards themselves are never listed: only what moderation approved is)."""
    found = safely(store.list_latest, n, "dashboard", default=[])
    if found:
        render_reuse_cards(found, columns=min(max(n, 1), 3))
    else:
        st.caption("Aucun tableau de bord publié pour l'instant : composez le vôtre et proposez-le comme "
                   "réutilisation.")
    page_link(("pages/dashboard_compose.py", "nouveau-tableau-de-bord"), "Composer un tableau de bord",
              icon=":material/dashboard_customize:")


def render_reuse_detail(reuse: Reuse) -> None:
    """The reuse page body. The description is sanitised Markdown rendered WITHOUT unsafe_allow_html."""
    titles = dataset_titles()
    st.title(md_escape(reuse.title))
    st.caption(f"{md_escape(reuse.type_label)} · {md_escape(reuse.topic_label)} · par {md_escape(reuse.author_name)}"
               f" · publiée le {_date(reuse.date)} · {fmt.number(reuse.views)} vue{'s' if reuse.views > 1 else ''}")
    left, right = st.columns([2, 1])
    with left:
        render_markdown(reuse.description)
        url = safe_http_url(reuse.url)
        if url:
            st.link_button("Voir la réutilisation", url, icon=":material/link:", type="primary")
    with right:
        render_image(reuse)
    st.subheader("Données utilisées")
    for dataset_id in reuse.datasets:
        page_link(DATASET, titles.get(dataset_id, dataset_id), {"id": dataset_id}, icon=":material/description:")
    if reuse.permalink:
        st.markdown(f"[Voir la vue du portail utilisée]({md_url(reuse.permalink.lstrip('/'))})")
    page_link(GALLERY, "← Toutes les réutilisations")


def show_errors(errors: dict[str, str]) -> None:
    """One French message per invalid field."""
    from reuses.validation import FIELD_LABELS

    for name, message in errors.items():
        label = FIELD_LABELS.get(name, "")
        st.error(f"**{label}** : {md_escape(message)}" if label and name != "form" else md_escape(message))


# The fields of the submission form, each of which shows its own error right under it.
SUBMIT_FIELDS = ("title", "description", "type", "topic", "url", "datasets", "image", "image_url", "permalink",
                 "author_name", "email")


def field_error(errors: dict[str, str], name: str) -> None:
    """The message about one field, drawn right under it (call it just after the widget)."""
    message = errors.get(name)
    if message:
        st.error(md_escape(message), icon=":material/error:")


def show_error_summary(errors: dict[str, str], fields: Sequence[str]) -> None:
    """Above the form: why nothing was recorded. Problems of the whole form (rate limit, full queue, database) are
    spelled out here; field problems are only counted, their messages sit under the fields."""
    if not errors:
        return
    on_fields = [name for name in errors if name in fields]
    others = [message for name, message in errors.items() if name not in fields]
    lines = ["La proposition n'a pas été enregistrée."]
    if on_fields:
        n = len(on_fields)
        lines.append("1 champ à corriger, signalé sous le champ concerné." if n == 1
                     else f"{n} champs à corriger, signalés sous chacun d'eux.")
    lines += [md_escape(m) for m in others]
    st.error("  \n".join(lines))


def render_receipt(reference: str) -> None:
    """After a submission: its pending status, the private reference and the link to follow it."""
    st.success("Merci ! Votre proposition a bien été enregistrée. Statut : **En attente de modération**. Elle sera "
               "publiée après relecture par l'équipe du portail.")
    if store.reference_key(reference) is None:
        return
    # Inline code, not st.code, whose copy button speaks English ("Copy to clipboard"). Not escaped: a code span
    # shows backslashes as they are, and the reference is only [A-Z2-7-] (store.new_reference), never user text.
    st.markdown(f"Votre référence de suivi : **`{reference}`**")
    page_link(DETAIL, "Suivre l'état de votre proposition", {"suivi": reference}, icon=":material/pending_actions:")
    st.caption("Conservez cette référence ou ce lien : c'est le seul moyen de suivre votre proposition, elle ne vous "
               "sera pas renvoyée. Ne la partagez pas.")


def render_submission_status(reference: str) -> None:
    """The status view of a private reference: pending, published (with its public page) or refused (reason)."""
    st.title("Suivi de votre proposition")
    reuse = safely(store.get_by_reference, reference, default=None)
    if reuse is None:
        st.warning("Aucune proposition ne correspond à cette référence. Vérifiez-la (16 lettres et chiffres, "
                   "par exemple ABCD-EFGH-IJKL-MNOP) : la proposition a peut-être aussi été supprimée.")
        page_link(GALLERY, "← Voir toutes les réutilisations")
        return
    label = store.SUBMITTER_STATUSES.get(reuse.status, reuse.status)
    st.subheader(md_escape(reuse.title))
    st.caption(f"{md_escape(reuse.type_label)} · proposée le {_date(reuse.created_at)}")
    if reuse.status == "published":
        st.success(f"Statut : **{label}** le {_date(reuse.published_at)}. Merci pour votre contribution !")
        page_link(DETAIL, "Voir la page publique de votre réutilisation", {"id": reuse.id}, icon=":material/link:")
    elif reuse.status == "rejected":
        st.warning(f"Statut : **{label}**. Motif : {md_escape(reuse.reject_reason) or 'non précisé'}")
    else:
        st.info(f"Statut : **{label}**. L'équipe du portail relit chaque proposition avant de la publier ; "
                "revenez sur cette page pour suivre son avancement.")
    page_link(GALLERY, "← Voir toutes les réutilisations")


def hide_honeypot(key: str) -> None:
    """Hide the anti-spam field from people (and screen readers) with a constant CSS rule; no user text."""
    safe_key = "".join(c for c in key if c.isalnum() or c in "_-")
    st.html(f"<style>.st-key-{safe_key} {{ display: none !important; }}</style>")


# st.file_uploader has no parameter for its own texts (streamlit/streamlit#13500, and #1353 for i18n): its button says
# « Upload », its hint « 5MB per file • PNG, JPG, WEBP » and a chosen file's size « 0.6KB ». The hint only repeats what
# our French label says (formats, size) and the size is not needed, so both are hidden. The button keeps Streamlit's
# « Upload »: French generated content (::after) would not be its accessible name for every tool (axe-core#3767) and
# text that matters must not live in CSS (WCAG failure F87). Constant CSS scoped to the uploaders of reuse images.
UPLOADER_CSS = """
.st-key-{key} [data-testid="stFileUploaderDropzoneInstructions"] {{ display: none; }}
.st-key-{key} [data-testid="stFileChipName"] + div {{ display: none; }}
"""


def image_uploader(label: str, *, key: str, **kwargs: Any) -> Any:
    """st.file_uploader for a reuse's image (PNG, JPEG, WebP), without its English hint (see UPLOADER_CSS)."""
    safe_key = "".join(c for c in key if c.isalnum() or c in "_-")
    st.html(f"<style>{UPLOADER_CSS.format(key=safe_key)}</style>")
    return st.file_uploader(label, type=["png", "jpg", "jpeg", "webp"], key=key, **kwargs)


# ---------------------------------------------------------------------------------------------- gallery state


@dataclass(frozen=True)
class GalleryState:
    """The gallery view as it appears in the URL: ?q=&type=&topic=&dataset=&sort=&page="""

    q: str = ""
    type: str = ""
    topic: str = ""
    dataset: str = ""
    sort: str = "recent"
    page: int = 1

    @classmethod
    def from_query(cls, params: Any) -> GalleryState:
        def get(name: str) -> str:
            value = params.get(name, "")
            return str(value if value is not None else "").strip()

        try:
            page = max(1, int(get("page") or 1))
        except ValueError:
            page = 1
        type_ = get("type")
        topic = get("topic")
        sort = get("sort")
        dataset = get("dataset")
        return cls(
            q=get("q")[:200],
            type=type_ if type_ in REUSE_TYPES else "",
            topic=topic if topic in TOPICS else "",
            dataset=dataset if dataset.replace("-", "").isalnum() and len(dataset) <= 120 else "",
            sort=sort if sort in SORTS else "recent",
            page=page,
        )

    def to_query(self) -> dict[str, str]:
        out = {"q": self.q, "type": self.type, "topic": self.topic, "dataset": self.dataset}
        if self.sort != "recent":
            out["sort"] = self.sort
        if self.page > 1:
            out["page"] = str(self.page)
        return {k: v for k, v in out.items() if v}

    def filters_changed(self, other: GalleryState) -> bool:
        return replace(self, page=1) != replace(other, page=1)

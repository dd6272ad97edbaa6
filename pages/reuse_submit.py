"""Submission form for a reuse (opened from a dataset page with ?dataset=<id>); published after moderation."""

import streamlit as st

from catalogue.vocab import REUSE_TYPES, TOPICS
from reuses import service
from reuses.settings import limits
from reuses.validation import ReuseInput
from ui import reuses as ui

lim = limits()
st.title("Proposer une réutilisation")

if not service.moderation_open():  # said before anyone types: nobody could ever publish what they would send
    st.info(service.SUBMISSIONS_CLOSED)
    ui.page_link(ui.GALLERY, "Voir les réutilisations publiées", icon=":material/lightbulb:")
    st.stop()

st.write("Vous avez créé une application, une carte, un article ou une visualisation avec les données du portail ? "
         "Présentez-la : elle sera relue par l'équipe du portail avant d'être publiée.")
st.caption("Les champs marqués d'un astérisque (*) sont obligatoires. Votre courriel sert uniquement à vous "
           "contacter au sujet de votre proposition : il n'est jamais affiché ni publié.")

done = st.session_state.get("reuse_submit_done")
if done:
    ui.render_receipt(done)
    if st.button("Proposer une autre réutilisation", key="reuse_submit_again"):
        for key in [k for k in st.session_state if str(k).startswith("reuse_submit_")]:
            del st.session_state[key]
        st.rerun()
    ui.page_link(ui.GALLERY, "Voir les réutilisations publiées", icon=":material/lightbulb:")
    st.stop()

titles = ui.dataset_titles()
ui.prefill_submission(st.query_params, titles)
if not titles:
    st.warning("Le catalogue est momentanément indisponible : impossible de choisir les jeux de données utilisés.")

# The errors of the last attempt: a summary here, and each message right under its field below.
errors: dict[str, str] = st.session_state.get("reuse_submit_errors", {})
ui.show_error_summary(errors, ui.SUBMIT_FIELDS)

ui.hide_honeypot("reuse_submit_website")
# Enter does not submit this long form (a stray Enter in one field would send it unfinished), and Streamlit's English
# « Press Enter to submit form » hint goes with it.
with st.form("reuse_submit_form", enter_to_submit=False):
    title = st.text_input("Titre *", key="reuse_submit_title", max_chars=lim.title_max)
    ui.field_error(errors, "title")
    description = st.text_area(
        "Description *", key="reuse_submit_description", max_chars=lim.description_max, height=180,
        help="Texte simple ou Markdown (gras, listes, liens http/https). Le HTML n'est pas conservé.")
    ui.field_error(errors, "description")
    c_type, c_topic = st.columns(2)
    with c_type:
        type_ = st.selectbox("Type *", list(REUSE_TYPES), index=None, key="reuse_submit_type",
                             format_func=REUSE_TYPES.get, placeholder="Choisissez un type")
        ui.field_error(errors, "type")
    with c_topic:
        topic = st.selectbox("Thématique *", list(TOPICS), index=None, key="reuse_submit_topic",
                             format_func=TOPICS.get, placeholder="Choisissez une thématique")
        ui.field_error(errors, "topic")
    url = st.text_input("Adresse de la réutilisation (URL) *", key="reuse_submit_url", placeholder="https://…",
                        max_chars=lim.url_max)
    ui.field_error(errors, "url")
    datasets = st.multiselect("Jeux de données utilisés *", list(titles), key="reuse_submit_datasets",
                               format_func=lambda d: titles.get(d, d),
                              max_selections=lim.datasets_max, placeholder="Choisissez un ou plusieurs jeux",
                              select_all=False)  # Streamlit's « Select all » has no French label
    ui.field_error(errors, "datasets")
    image = ui.image_uploader(f"Image (PNG, JPEG ou WebP, {lim.image_max_bytes // (1024 * 1024)} Mo maximum)",
                              key="reuse_submit_image", max_upload_size=max(1, lim.image_max_bytes // (1024 * 1024)))
    ui.field_error(errors, "image")
    image_url = st.text_input("… ou adresse d'une image en ligne (URL)", key="reuse_submit_image_url",
                              placeholder="https://…", max_chars=lim.url_max,
                              help="Le portail récupère l'image une fois et en garde une copie réduite.")
    ui.field_error(errors, "image_url")
    permalink = st.text_input(
        "Lien vers une vue filtrée de ce portail (facultatif)", key="reuse_submit_permalink",
        placeholder="/jeu-de-donnees?id=…", max_chars=lim.url_max,
        help="Copiez l'adresse d'une page de ce portail (par exemple un jeu de données filtré).")
    ui.field_error(errors, "permalink")
    c_author, c_email = st.columns(2)
    with c_author:
        author = st.text_input("Votre nom ou celui de votre organisation *", key="reuse_submit_author",
                               max_chars=lim.author_max)
        ui.field_error(errors, "author_name")
    with c_email:
        email = st.text_input("Votre courriel * (jamais affiché)", key="reuse_submit_email",
                              max_chars=lim.email_max, autocomplete="email")
        ui.field_error(errors, "email")
    honeypot = st.text_input("Ne pas remplir ce champ", key="reuse_submit_website", label_visibility="collapsed",
                             autocomplete="off")
    submitted = st.form_submit_button("Envoyer la proposition", type="primary")

if submitted:
    # The rate limit is keyed on the visitor's address (kept in the database: a new tab or a reload does not
    # reset it) and checked before the uploaded image is decoded or an image address fetched.
    outcome = ui.safely(
        service.submit_form, ReuseInput(title=title, description=description, type=type_ or "", topic=topic or "", url=url,
                   image_url=image_url, author_name=author, email=email, datasets=datasets, permalink=permalink),
        ui.client_address(), upload=image.getvalue() if image is not None else None, honeypot=honeypot or "",
        known_datasets=titles, default=service.SubmitOutcome(errors={"form": ui.UNAVAILABLE}),
    )
    if outcome.ok:
        st.session_state.pop("reuse_submit_errors", None)
        st.session_state["reuse_submit_done"] = outcome.reference or ""
    else:
        st.session_state["reuse_submit_errors"] = outcome.errors
    st.rerun()  # draw the receipt, or the form again with each message under its field

"""Submission form for a reuse (opened from a dataset page with ?dataset=<id>); published after moderation."""

import streamlit as st

from catalogue.vocab import REUSE_TYPES, TOPICS
from reuses import service
from reuses.settings import limits
from reuses.validation import ReuseInput
from ui import reuses as ui

lim = limits()
st.title("Proposer une réutilisation")
st.write("Vous avez créé une application, une carte, un article ou une visualisation avec les données du portail ? "
         "Présentez-la : elle sera relue par l'équipe du portail avant d'être publiée.")
st.caption("Les champs marqués d'un astérisque (*) sont obligatoires. Votre courriel sert uniquement à vous "
           "contacter au sujet de votre proposition : il n'est jamais affiché ni publié.")

done = st.session_state.get("reuse_submit_done")
if done:
    st.success("Merci ! Votre proposition a bien été enregistrée. Elle sera publiée après relecture par l'équipe "
               "du portail.")
    if st.button("Proposer une autre réutilisation", key="reuse_submit_again"):
        for key in [k for k in st.session_state if str(k).startswith("reuse_submit_")]:
            del st.session_state[key]
        st.rerun()
    ui.page_link(ui.GALLERY, "Voir les réutilisations publiées", icon=":material/lightbulb:")
    st.stop()

titles = ui.dataset_titles()
preset = str(st.query_params.get("dataset", "") or "")
if not titles:
    st.warning("Le catalogue est momentanément indisponible : impossible de choisir les jeux de données utilisés.")

ui.hide_honeypot("reuse_submit_website")
with st.form("reuse_submit_form"):
    title = st.text_input("Titre *", key="reuse_submit_title", max_chars=lim.title_max)
    description = st.text_area(
        "Description *", key="reuse_submit_description", max_chars=lim.description_max, height=180,
        help="Texte simple ou Markdown (gras, listes, liens http/https). Le HTML n'est pas conservé.")
    c_type, c_topic = st.columns(2)
    type_ = c_type.selectbox("Type *", list(REUSE_TYPES), index=None, key="reuse_submit_type",
                             format_func=REUSE_TYPES.get, placeholder="Choisissez un type")
    topic = c_topic.selectbox("Thématique *", list(TOPICS), index=None, key="reuse_submit_topic",
                              format_func=TOPICS.get, placeholder="Choisissez une thématique")
    url = st.text_input("Adresse de la réutilisation (URL) *", key="reuse_submit_url", placeholder="https://…",
                        max_chars=lim.url_max)
    datasets = st.multiselect("Jeux de données utilisés *", list(titles), key="reuse_submit_datasets",
                              default=[preset] if preset in titles else None, format_func=lambda d: titles.get(d, d),
                              max_selections=lim.datasets_max, placeholder="Choisissez un ou plusieurs jeux")
    image = st.file_uploader(f"Image (PNG, JPEG ou WebP, {lim.image_max_bytes // (1024 * 1024)} Mo maximum)",
                             type=["png", "jpg", "jpeg", "webp"], key="reuse_submit_image",
                             max_upload_size=max(1, lim.image_max_bytes // (1024 * 1024)))
    image_url = st.text_input("… ou adresse d'une image en ligne (URL)", key="reuse_submit_image_url",
                              placeholder="https://…", max_chars=lim.url_max,
                              help="Le portail récupère l'image une fois et en garde une copie réduite.")
    permalink = st.text_input(
        "Lien vers une vue filtrée de ce portail (facultatif)", key="reuse_submit_permalink",
        placeholder="/jeu-de-donnees?id=…", max_chars=lim.url_max,
        help="Copiez l'adresse d'une page de ce portail (par exemple un jeu de données filtré).")
    c_author, c_email = st.columns(2)
    author = c_author.text_input("Votre nom ou celui de votre organisation *", key="reuse_submit_author",
                                 max_chars=lim.author_max)
    email = c_email.text_input("Votre courriel * (jamais affiché)", key="reuse_submit_email",
                               max_chars=lim.email_max, autocomplete="email")
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
        st.session_state["reuse_submit_done"] = outcome.reuse_id or "ok"
        st.rerun()
    st.error("La proposition n'a pas été enregistrée : corrigez les points suivants.")
    ui.show_errors(outcome.errors)

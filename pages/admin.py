"""Administration: reuse moderation (behind the admin secret) with its audit log, and harvest sources status."""

import math

import pandas as pd
import streamlit as st

from catalogue import stats
from catalogue.manifest import manifest_errors
from catalogue.vocab import REUSE_TYPES, TOPICS
from config import get_settings
from loaders.sources.state import sources_status
from reuses import guard, images, sanitize, service, store
from reuses.settings import limits, smtp_settings
from reuses.store import STATUSES
from reuses.validation import ReuseInput, ValidationError, validate
from ui import reuses as ui

ACTION_LABELS = {"publish": "Publication", "reject": "Rejet", "edit": "Modification", "feature": "Mise à la une",
                 "unfeature": "Retrait de la une", "delete": "Suppression", store.LOGIN_FAILED: "Échec de connexion"}

st.title("Administration")
secret = get_settings().admin_secret

problem = service.secret_problem(secret)  # no secret, or one shorter than 16 characters: no /admin at all
if problem:
    st.warning(problem)
    st.stop()

client = ui.client_address()
if st.session_state.get("admin_auth") != service.secret_fingerprint(secret):
    st.subheader("Connexion")
    # Failures are counted in the database per address and for everyone: a new tab, a reload or another
    # instance of the portal does not reset them. A database failure refuses the login (fails closed).
    waiting = ui.safely(service.login_wait_message, client, default=None)
    if waiting:
        st.error(waiting)
        st.stop()
    # No Enter-to-submit: Streamlit would show « Press Enter to submit form » in English under the password.
    with st.form("admin_login", enter_to_submit=False):
        password = st.text_input("Mot de passe d'administration", type="password", key="admin_password")
        login = st.form_submit_button("Se connecter", type="primary")
    if login:
        outcome = ui.safely(service.login, password or "", secret, client,
                            default=service.LoginOutcome(False, ui.UNAVAILABLE))
        if outcome.ok:
            st.session_state["admin_auth"] = service.secret_fingerprint(secret)
            st.rerun()
        st.error(outcome.message)
    st.stop()

flash = st.session_state.pop("admin_flash", None)
if flash:
    st.success(flash)
if st.button("Se déconnecter", key="admin_logout"):
    st.session_state.pop("admin_auth", None)
    st.rerun()


def act(message: str, fn, *args, **kwargs) -> None:  # noqa: ANN001 - page glue
    """Run a moderation action; on success rerun with a confirmation, otherwise show why in French."""
    try:
        fn(*args, **kwargs)
    except ValidationError as exc:
        ui.show_errors(exc.errors)
        return
    except store.NotFound as exc:
        st.error(str(exc))
        return
    except Exception:  # noqa: BLE001 - database trouble: never a traceback on the page
        st.error(ui.UNAVAILABLE)
        return
    st.session_state["admin_flash"] = message
    st.rerun()


# The first thing a moderator sees: how many submissions wait (the gallery shows nothing of them until then).
counts = ui.safely(store.counts_by_status, default={s: 0 for s in STATUSES})
waiting_count = counts.get("pending", 0)
if waiting_count:
    oldest = ui.safely(store.list_by_status, "pending", limit=1, default=[])
    since = f" ; la plus ancienne attend depuis le {ui.fmt.date_fr(oldest[0].created_at[:10])}" if oldest else ""
    plural = "s" if waiting_count > 1 else ""
    st.warning(f"**{waiting_count} proposition{plural} en attente de modération**{since}.",
               icon=":material/notifications_active:")
else:
    st.success("Aucune proposition en attente de modération.", icon=":material/task_alt:")

moderation, sources, searches = st.tabs(
    ["Modération des réutilisations", "Sources moissonnées", "Recherches sans résultat"]
)

with moderation:
    if client == guard.UNKNOWN_CLIENT:  # behind an undeclared proxy every visitor looks local: limits become shared
        st.info("Adresse des visiteurs inconnue (connexion locale, ou proxy non déclaré) : les limites de "
                   "propositions et de connexion s'appliquent à tous les visiteurs ensemble. Derrière un proxy, "
                   "déclarez son en-tête avec `TERRITOIRE_TRUSTED_PROXY_HEADER`.")
    smtp = smtp_settings()
    st.caption(f"Chaque nouvelle proposition est aussi annoncée par courriel à {sanitize.md_escape(smtp.to)}."
               if smtp.enabled else
               "Pas d'annonce par courriel des nouvelles propositions : configurez TERRITOIRE_SMTP_HOST, "
               "TERRITOIRE_SMTP_FROM et TERRITOIRE_MODERATION_EMAIL pour en recevoir.")
    # live: the name is taken after a pause in typing, so Streamlit shows no English « Press Enter to apply ».
    moderator = st.text_input("Votre nom (inscrit au journal de modération) *", key="admin_moderator", max_chars=80,
                              live=True)
    status = st.radio("Afficher", list(STATUSES), horizontal=True, key="admin_status",
                      format_func=lambda s: f"{STATUSES[s]} ({counts.get(s, 0)})")
    titles = ui.dataset_titles()
    # One page of the list at a time: a flood of submissions cannot make this screen unusable.
    page_size = limits().moderation_page_size
    pages = max(1, math.ceil(counts.get(status, 0) / page_size))
    page_key = f"admin_page_{status}"
    if not 1 <= st.session_state.get(page_key, 1) <= pages:
        st.session_state[page_key] = min(max(1, st.session_state.get(page_key, 1)), pages)
    page = st.number_input(f"Page (sur {pages})", min_value=1, max_value=pages, step=1, key=page_key) if pages > 1 else 1
    items = ui.safely(store.list_by_status, status, offset=(int(page) - 1) * page_size, limit=page_size, default=[])
    if not items:
        st.info("Aucune réutilisation dans cette liste.")
    elif pages > 1:
        st.caption(f"Page {int(page)} sur {pages} · {page_size} réutilisations par page")
    for reuse in items:
        head = f"{reuse.title} — {reuse.type_label} — {ui.fmt.date_fr(reuse.created_at[:10])}"
        with st.expander(sanitize.md_escape(head), expanded=status == "pending" and len(items) <= 3):
            st.caption(f"Identifiant : {sanitize.md_escape(reuse.id)} · Thématique : "
                       f"{sanitize.md_escape(reuse.topic_label)} · Auteur : {sanitize.md_escape(reuse.author_name)}")
            st.text(f"Courriel (privé, visible des seuls modérateurs) : {reuse.email or '—'}")
            st.text(f"Adresse : {reuse.url}")
            ui.render_markdown(reuse.description)
            ui.render_image(reuse, width=240)
            if reuse.image_url:
                st.text(f"Image copiée depuis : {reuse.image_url}")
            st.caption("Jeux de données : " + ", ".join(sanitize.md_escape(titles.get(d, d)) for d in reuse.datasets))
            if reuse.permalink:
                st.text(f"Lien vers le portail : {reuse.permalink}")
            if reuse.reject_reason:
                st.text(f"Motif du rejet : {reuse.reject_reason}")

            k = reuse.id
            b1, b2, b3 = st.columns(3)
            if reuse.status != "published" and b1.button("Publier", key=f"admin_publish_{k}", type="primary"):
                act("Réutilisation publiée.", store.publish, k, moderator)
            if reuse.status == "published":
                label = "Retirer de la une" if reuse.featured else "Mettre à la une"
                if b1.button(label, key=f"admin_feature_{k}"):
                    act("Mise à la une modifiée.", store.set_featured, k, moderator, not reuse.featured)
            with b2:
                if reuse.status != "rejected":
                    reason = st.text_input("Motif du rejet", key=f"admin_reason_{k}", max_chars=500, live=True)
                    if st.button("Rejeter", key=f"admin_reject_{k}"):
                        act("Réutilisation rejetée.", store.reject, k, moderator, reason)
            with b3:
                confirm = st.checkbox("Confirmer la suppression", key=f"admin_confirm_delete_{k}")
                if st.button("Supprimer", key=f"admin_delete_{k}", disabled=not confirm):
                    act("Réutilisation supprimée.", store.delete_reuse, k, moderator)

            if st.toggle("Modifier", key=f"admin_edit_{k}"):
                with st.form(f"admin_edit_form_{k}", enter_to_submit=False):
                    e_title = st.text_input("Titre", value=reuse.title, key=f"admin_e_title_{k}")
                    e_desc = st.text_area("Description", value=reuse.description, key=f"admin_e_desc_{k}")
                    e_type = st.selectbox("Type", list(REUSE_TYPES), format_func=REUSE_TYPES.get,
                                          index=list(REUSE_TYPES).index(reuse.type) if reuse.type in REUSE_TYPES else 0,
                                          key=f"admin_e_type_{k}")
                    e_topic = st.selectbox("Thématique", list(TOPICS), format_func=TOPICS.get,
                                           index=list(TOPICS).index(reuse.topic) if reuse.topic in TOPICS else 0,
                                           key=f"admin_e_topic_{k}")
                    e_url = st.text_input("Adresse (URL)", value=reuse.url, key=f"admin_e_url_{k}")
                    e_image_url = st.text_input("Adresse de l'image", value=reuse.image_url, key=f"admin_e_img_{k}")
                    e_upload = ui.image_uploader("Remplacer l'image", key=f"admin_e_upload_{k}")
                    e_remove = st.checkbox("Supprimer l'image envoyée", key=f"admin_e_rmimg_{k}")
                    e_author = st.text_input("Auteur", value=reuse.author_name, key=f"admin_e_author_{k}")
                    options = list(dict.fromkeys([*titles, *reuse.datasets]))
                    e_datasets = st.multiselect("Jeux de données", options, default=list(reuse.datasets),
                                                format_func=lambda d: titles.get(d, d), key=f"admin_e_ds_{k}",
                                                select_all=False)
                    e_permalink = st.text_input("Lien vers le portail", value=reuse.permalink, key=f"admin_e_pl_{k}")
                    save = st.form_submit_button("Enregistrer les modifications")
                if save:
                    try:
                        image = images.make_thumbnail(e_upload.getvalue()) if e_upload is not None else None
                        draft = validate(ReuseInput(title=e_title, description=e_desc, type=e_type, topic=e_topic,
                                                    url=e_url, image_url=e_image_url, author_name=e_author,
                                                    email=reuse.email, datasets=e_datasets, permalink=e_permalink),
                                         set(options), require_email=False, image=image)
                        if draft.image_url != reuse.image_url or not reuse.has_image:  # a new address: copy it
                            draft = service.with_fetched_image(draft)
                    except images.ImageError as exc:
                        st.error(str(exc))
                    except ValidationError as exc:
                        ui.show_errors(exc.errors)
                    else:
                        act("Modifications enregistrées.", store.edit, k, moderator, draft, remove_image=e_remove)

    st.subheader("Journal de modération")
    entries = ui.safely(store.audit_entries, 200, default=[])
    if entries:
        log = pd.DataFrame(entries).rename(columns={"at": "Date (UTC)", "moderator": "Modérateur", "action": "Action",
                                                    "reuse_id": "Réutilisation", "details": "Détails"})
        log["Action"] = log["Action"].map(lambda a: ACTION_LABELS.get(a, a))
        st.dataframe(log, hide_index=True, width="stretch", key="admin_audit")
    else:
        st.caption("Aucune action de modération pour l'instant.")

with sources:
    frame = pd.DataFrame(sources_status())
    if frame.empty:
        st.caption("Aucune source moissonnée n'est configurée.")
    else:
        st.dataframe(frame, hide_index=True, width="stretch", key="admin_sources")
    # A bad manifest file hides its own dataset only: the publisher sees here which file to fix.
    st.subheader("Fichiers de manifeste invalides")
    bad_files = manifest_errors()
    if bad_files:
        st.dataframe(pd.DataFrame({"Fichier": [e.file for e in bad_files], "Erreur": [e.message for e in bad_files]}),
                     hide_index=True, width="stretch", key="admin_manifest_errors")
    else:
        st.caption("Tous les fichiers du manifeste sont valides.")

with searches:
    # What people search and do not find tells the publisher which data to open next.
    failed = stats.failed_searches(limit=100)
    if not failed:
        st.caption("Aucune recherche infructueuse enregistrée.")
    else:
        table = pd.DataFrame({
            "Recherche": [f["q"] for f in failed],
            "Filtres": ["; ".join(f"{k} = {v}" for k, v in (f["filters"] or {}).items()) for f in failed],
            "Nombre": [f["count"] for f in failed],
            "Dernière fois": [f["last_at"] for f in failed],
        })
        st.dataframe(table, hide_index=True, width="stretch", key="admin_failed_searches")

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

blueprint = Blueprint("notes", __name__)
MAX_NOTES, MAX_LENGTH = 20, 200  # the whole list lives in the session cookie


@blueprint.get("/")
def index():
    return render_template("notes.html", notes=session.get("notes", []))


@blueprint.post("/")
def add():
    text = request.form.get("text", "").strip()[:MAX_LENGTH]
    if text:
        session["notes"] = (session.get("notes", []) + [text])[-MAX_NOTES:]
        flash("Note saved.")
    else:
        flash("Write something first.")
    # Post/Redirect/Get: a reload of the list does not post the form again.
    return redirect(url_for("notes.index"), 303)

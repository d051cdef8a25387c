"""Visit feedback: the short, optional form after a visit, and "no thanks"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hubbar.db import utcnow
from hubbar.errors import DomainError, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.pilots import feedback as ops
from hubbar.pilots.feedback_forms import RATING_LABELS, FeedbackForm
from hubbar.pilots.models import OTHERWISE_LABELS
from hubbar.web import form_error, local_path

bp = Blueprint("feedback", __name__)


def _back_to_my_bookings(error: DomainError):
    """Why the visit cannot get feedback (answered, not over, too old), on My bookings."""
    flash(str(error.message), "info" if error.code == "already_given" else "error")
    return redirect(url_for("bookings.mine"))


@bp.route("/bookings/<int:booking_id>/feedback", methods=["GET", "POST"])
@login_required
def give(booking_id: int):
    now = utcnow()
    try:
        booking = ops.feedback_booking(current_user, booking_id, now)
    except (NotFound, NotAllowed):
        raise  # someone else's booking: 404, like a booking that does not exist
    except DomainError as error:
        return _back_to_my_bookings(error)
    form = FeedbackForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                ops.give_feedback(
                    current_user,
                    booking.id,
                    rating=form.rating.data,
                    comment=form.comment.data,
                    otherwise=form.otherwise.data or None,
                    minutes_saved=form.minutes_saved.data,
                    now=now,
                )
            except (NotFound, NotAllowed):
                raise
            except DomainError as error:
                db.session.rollback()
                if error.code == "already_given":  # answered a moment ago, e.g. in another tab
                    return _back_to_my_bookings(error)
                form_error(form, error)
            else:
                flash(_("Thank you for your feedback."), "success")
                return redirect(url_for("bookings.mine"))
        status = 422
    return (
        render_template(
            "pilots/feedback.html",
            form=form,
            booking=booking,
            ratings=RATING_LABELS,
            otherwise=OTHERWISE_LABELS,
        ),
        status,
    )


@bp.post("/bookings/<int:booking_id>/feedback/decline")
@login_required
def decline(booking_id: int):
    """ "No thanks": the visit is not offered feedback again."""
    try:
        ops.decline_feedback(current_user, booking_id)
    except (NotFound, NotAllowed):
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "info" if error.code == "already_given" else "error")
    else:
        flash(_("Thanks. We will not ask about that visit again."), "success")
    return redirect(local_path(request.form.get("next")) or url_for("bookings.mine"))

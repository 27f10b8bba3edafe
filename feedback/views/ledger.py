"""The negative-review ledger page (中差评明细表): filters, counts, trend, keyset-paginated rows.
Rows from feedback.services.ledger.LedgerQuery; counts, total and trend from
feedback.services.ledger_stats.LedgerStats (the weekly count table where the filters allow)."""
from __future__ import annotations

import datetime as dt

from pyramid.view import view_config
from sqlalchemy import select

from ..models import CATEGORIES, PLATFORMS, Review, Ticket
from ..models.ledger import LEDGER_STATUSES
from ..models.meta import shop_today
from ..services.ledger import LedgerFilterError, LedgerFilters, LedgerQuery
from ..services.ledger_stats import LedgerStats
from ..services.triage import CATEGORY_LABELS, PLATFORM_LABELS, STATUS_LABELS
from ..charts import week_trend_chart

PAGE_SIZE = 50
DEFAULT_WEEKS = 12  # without a date filter the page shows the last 12 weeks (the trend's span)


@view_config(route_name="ledger.list", renderer="ledger/list.html", permission="ledger")
def ledger_list(request):
    q = LedgerQuery(request.dbsession)
    try:
        filters = LedgerFilters.from_params(request.GET)
    except LedgerFilterError as exc:
        request.session.flash(str(exc), "error")
        filters = LedgerFilters()
    whole_period = request.GET.get("period") == "all"
    if filters.date_from is None and filters.date_to is None and not whole_period:
        filters.date_from = shop_today() - dt.timedelta(weeks=DEFAULT_WEEKS)
    after = request.GET.get("after") or None
    before = None if after else (request.GET.get("before") or None)
    try:
        page = q.page(filters, after=after, before=before, limit=PAGE_SIZE)
    except LedgerFilterError as exc:
        request.session.flash(str(exc), "error")
        page = q.page(filters, limit=PAGE_SIZE)
    stats = LedgerStats(request.dbsession)
    trend = stats.trend(filters, weeks=DEFAULT_WEEKS)
    texts = {}
    rids = [e.review_id for e in page.items if e.review_id]
    tids = [e.ticket_id for e in page.items if e.ticket_id]
    if rids:
        texts.update({("r", i): t for i, t in request.dbsession.execute(select(Review.id, Review.text).where(Review.id.in_(rids)))})
    if tids:
        texts.update({("t", i): t for i, t in request.dbsession.execute(select(Ticket.id, Ticket.text).where(Ticket.id.in_(tids)))})
    params = filters.to_params()
    if whole_period:
        params["period"] = "all"
    return {
        "filters": filters, "params": params, "page": page, "first_page": page.prev_cursor is None, "texts": texts,
        "total": stats.total(filters),
        "by_category": stats.counts(filters, by="category"), "whole_period": whole_period,
        "by_sku": stats.counts(filters, by="sku"),
        "by_carrier": stats.counts(filters, by="carrier"),
        "trend": trend,
        "chart": week_trend_chart([(p.week, p.count) for p in trend], title="每周中差评数"),
        "categories": CATEGORIES, "category_labels": CATEGORY_LABELS, "platforms": PLATFORMS,
        "platform_labels": PLATFORM_LABELS, "statuses": LEDGER_STATUSES, "status_labels": STATUS_LABELS,
    }

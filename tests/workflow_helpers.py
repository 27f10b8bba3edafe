"""Test data for the workflow tests: products with batches, orders, reviews linked to them."""
from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from feedback.models import Batch, Order, Product, Review, Shop

_seq = itertools.count(1)
T0 = dt.datetime(2026, 10, 5, 12, 0)


def shop(session, platform="tmall") -> Shop:
    s = Shop(platform=platform, name=f"wf店铺{next(_seq)}")
    session.add(s)
    session.flush()
    return s


def product(session, sku=None, name="五香牛肉干", shelf_life_days=180) -> Product:
    p = Product(sku=sku or f"WF-{next(_seq)}", name=name, shelf_life_days=shelf_life_days)
    session.add(p)
    session.flush()
    return p


def batch(session, prod: Product, code=None, production=dt.date(2026, 4, 1), expiry=None) -> Batch:
    b = Batch(product_id=prod.id, batch_code=code or f"B{next(_seq)}", production_date=production,
              expiry_date=expiry)
    session.add(b)
    session.flush()
    return b


def order(session, prod: Product | None = None, b: Batch | None = None, *, platform="tmall", shop_obj=None,
          carrier="中通", warehouse="嘉兴仓", region="浙江", signed_at=None, paid_at=None) -> Order:
    o = Order(platform=platform, platform_order_id=f"WO{next(_seq)}", sku=prod.sku if prod else "",
              product_id=prod.id if prod else None, batch_id=b.id if b else None,
              shop_id=shop_obj.id if shop_obj else None, carrier=carrier, warehouse=warehouse, region=region,
              paid_at=paid_at or T0 - dt.timedelta(days=3), shipped_at=T0 - dt.timedelta(days=2),
              signed_at=signed_at or T0 - dt.timedelta(days=1))
    session.add(o)
    session.flush()
    return o


def review(session, text, *, rating=1, o: Order | None = None, at=None, platform="tmall", shop_obj=None) -> Review:
    n = next(_seq)
    r = Review(platform=platform, dedupe_key=f"id:wf{n}", external_id=f"wf{n}", content_hash=f"{n:064x}",
               shop_id=shop_obj.id if shop_obj else (o.shop_id if o else None),
               order_id=o.id if o else None, platform_order_id=o.platform_order_id if o else None,
               product_id=o.product_id if o else None, sku=(o.sku or None) if o else None,
               rating_stars=rating, rating_level="bad" if rating <= 2 else ("neutral" if rating == 3 else "good"),
               text=text, reviewed_at=at or T0)
    session.add(r)
    session.flush()
    return r


def savepoint_factory(session: Session):
    """A session factory on the test's connection: begin()/commit() become SAVEPOINTs."""
    conn = session.connection()

    def factory():
        return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    return factory


class FakeClassifier:
    """A deterministic stand-in with the nlp contract's shape (for tests that must not depend on
    the lexicon's wording). Text markers: 'FS' food safety, 'FRESH', 'LOG', 'SERV', 'TASTE';
    'UNSURE' (without another marker): not a complaint, low confidence, best score taste 0.4."""

    version = "fake-1"

    def classify_batch(self, items):
        from types import SimpleNamespace

        out = []
        for it in items:
            t = it["text"]
            cats = [c for c, m in (("freshness", "FRESH"), ("logistics", "LOG"), ("service", "SERV"),
                                   ("taste", "TASTE")) if m in t]
            complaint = bool(cats) or "FS" in t
            unsure = "UNSURE" in t and not complaint
            out.append(SimpleNamespace(
                id=it["id"], complaint=complaint, categories=cats or (["quality"] if "FS" in t else []),
                food_safety="FS" in t, scores={"taste": 0.4, "price": 0.1} if unsure else {c: 0.9 for c in cats},
                evidence={c: [t.split()[-1]] for c in cats}, sources={c: "fake" for c in cats},
                confidence=0.45 if unsure else 0.9, low_confidence=unsure, model=self.version, error=None))
        return out

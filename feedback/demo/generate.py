"""The demo data set: ~300 reviews and ~30 after-sales tickets of a food shop, written as the
exports a shop would really have (Taobao CSV with BOM, JD XLSX, Pinduoduo CSV in GBK, Meituan
JSON Lines, a ticket CSV). Dates are relative to ``today``; the content is fixed by the seed,
so the same date always gives the same files.

Built-in stories the rest of the system should find: frozen dumplings from 广州仓 via 中通 arrive
thawed; one strawberry batch rots; one fresh-milk batch ships close to expiry; one nut batch is
rancid (a food-safety cluster); the beef jerky is too salty; slow customer service; and a few
5-star reviews that only exist because of 好评返现 cards.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

SEED = 20240305
WEEKS = 8


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    kind: str  # fruit | dairy | snack | frozen
    shelf_life_days: int


PRODUCTS = [
    Product("FR-APPLE-5J", "烟台红富士苹果 5斤装", "水果", "fruit", 30),
    Product("FR-MANGO-3J", "海南贵妃芒果 3斤装", "水果", "fruit", 12),
    Product("FR-STRAW-2J", "丹东红颜草莓 2斤装", "水果", "fruit", 5),
    Product("DA-MILK-250x12", "全脂纯牛奶 250ml×12盒", "乳品", "dairy", 180),
    Product("DA-FRESH-950", "低温鲜牛奶 950ml", "乳品", "dairy", 7),
    Product("DA-YOG-6", "原味低温酸奶 100g×6杯", "乳品", "dairy", 21),
    Product("SN-BEEF-200", "麻辣风干牛肉干 200g", "零食", "snack", 270),
    Product("SN-NUT-30", "每日坚果 25g×30袋", "零食", "snack", 180),
    Product("FZ-DUMP-1KG", "猪肉白菜手工水饺 1kg", "速冻", "frozen", 365),
    Product("FZ-SHRIMP-500", "鲜虾仁水饺 500g", "速冻", "frozen", 365),
]
# What a text must name to be about a product: a text naming another product goes elsewhere
# (a 芒果 complaint on an apple order made drafts talk about the wrong fruit).
PRODUCT_WORDS = {
    "FR-APPLE-5J": ("苹果",), "FR-MANGO-3J": ("芒果",), "FR-STRAW-2J": ("草莓",),
    "DA-MILK-250x12": ("牛奶", "纯奶"), "DA-FRESH-950": ("鲜奶", "牛奶"), "DA-YOG-6": ("酸奶",),
    "SN-BEEF-200": ("牛肉干",), "SN-NUT-30": ("坚果",), "FZ-DUMP-1KG": ("饺子",), "FZ-SHRIMP-500": ("虾仁", "饺子"),
}
_NAMED = frozenset(w for words in PRODUCT_WORDS.values() for w in words)


def for_product(options: list[str], product: Product) -> list[str]:
    """The texts that fit this product: those naming it, or naming no product at all."""
    own = PRODUCT_WORDS.get(product.sku, ())
    fitting = [t for t in options if any(w in t for w in own) or not any(w in t for w in _NAMED)]
    return fitting or options


WAREHOUSES = ["杭州仓", "广州仓", "天津仓"]
CARRIERS = ["顺丰", "中通", "京东物流", "圆通"]
REGIONS = ["浙江", "广东", "北京", "上海", "江苏", "四川", "湖北", "山东", "福建", "河南"]
NICK_PARTS = (["小", "阿", "大", "老", "甜", "胖", "萌"], ["明", "红", "芳", "伟", "娟", "强", "丽", "军", "婷", "杰", "桃", "橙"])

PRAISE = {
    "fruit": ["很甜很脆，汁水特别多，会回购", "果子个头均匀，一个坏的都没有", "香甜可口，熟度刚好，家人都说好吃",
              "包装很用心，每个都套了网套，没有磕碰"],
    "dairy": ["奶香浓郁，日期很新鲜", "孩子每天早上一盒，口感醇厚", "冷链到家还是冰的，很放心", "酸奶不太甜，很适合减脂"],
    "snack": ["很香很有嚼劲，追剧必备", "坚果很新鲜，每天一包很方便", "分量足，独立包装干净卫生", "辣度刚好，越吃越香"],
    "frozen": ["皮薄馅大，孩子很爱吃", "煮了不破皮，味道像家里包的", "冰袋很足，到手还是硬邦邦的", "虾仁很大颗，很鲜"],
    "any": ["物流超快，顺丰次日达", "客服态度很好，耐心解答问题", "性价比高，比超市便宜", "第三次回购了，品质稳定"],
}
NEUTRAL = ["还行吧，中规中矩", "味道一般，价格有点贵", "东西可以，就是物流慢了点", "和图片有点差距，凑合吃"]
COMPLAINTS = {
    "taste": {
        "snack": ["太咸了，根本吃不下去", "牛肉干太咸太硬，嚼不动", "辣得过分，详情页写的微辣"],
        "frozen": ["饺子皮太厚，馅料没什么味道", "馅里全是白菜，肉很少还咸"],
        "dairy": ["酸奶酸得发苦", "牛奶有股怪味，和以前买的不一样"],
        "fruit": ["苹果一点都不甜，像没熟的", "芒果有股酒精味"],
    },
    "freshness": {
        "fruit": ["草莓到手烂了一半，全是水", "苹果不新鲜，发软还有黑点", "芒果放了两天就坏了，里面发黑"],
        "dairy": ["鲜奶收到只剩两天就过期了，临期货还卖原价", "牛奶到手已经胀包了", "酸奶日期不新鲜，快到期了"],
        "frozen": ["饺子化了又冻上，粘成一坨", "到手全化了，不敢吃"],
        "snack": ["坚果不脆了，受潮了", "牛肉干硬得像石头，像放了很久"],
    },
    "logistics": {
        "any": ["快递太慢了，五天才到", "包装破损，箱子被压扁了", "快递员不送上门，放驿站也不通知",
                "物流信息三天不更新，催了也没用"],
        "frozen": ["冰袋都化了，饺子到手全软了", "泡沫箱破了，冰袋没了"],
        "dairy": ["包装破损，牛奶漏了好几盒"],
    },
    "quality": {
        "any": ["箱子里少了两盒，和订单数量不符", "包装漏气，袋子是鼓的", "个头比图片小很多，还有磕碰"],
        "snack": ["坚果有哈喇味，好几颗发霉了", "袋子里碎渣比坚果还多"],
    },
    "service": {"any": ["客服一直不回复，问了三次都没人理", "申请退款三天没人处理", "客服态度很差，还说是我自己放坏的",
                        "催发货客服只会说亲请耐心等待"]},
    "price": {"any": ["比超市贵好多，不值这个价", "刚买完就降价二十，也不给价保", "满减活动算下来一点都不便宜"]},
    "other": {"any": ["发票申请了一周还没开", "说好的赠品没有送", "备注了送人用不要放价格单，结果还是放了"]},
}
FOOD_SAFETY = {
    "frozen": ["饺子里吃出头发，太恶心了", "吃了以后全家拉肚子，不敢再买了"],
    "dairy": ["酸奶胀袋了，孩子喝了肚子疼", "牛奶喝了拉肚子，一看已经结块了"],
    "snack": ["坚果发霉了，吃了一颗嘴里发苦，已经吐了", "牛肉干里有异物，像是塑料片"],
    "fruit": ["草莓上有白毛，孩子吃了一个才发现，吃了拉肚子"],
}
CASHBACK = ["包裹里塞了好评返现卡，说五星好评返5元。其实草莓烂了好几个，给五星只是为了返现",
            "为了返现才给的好评，实际上牛奶快过期了，不推荐", "卡片上写好评返现，东西其实一般，饺子皮都破了",
            "好评返现是真的，但坚果有点受潮，大家自己判断"]
FOLLOWUP_BAD = ["追评：联系客服后给补发了，态度还可以", "追评：剩下的又放了两天，也坏了", "追评：申请退款被拒，非常失望",
                "追评：吃完第二天还是不舒服，去医院了"]
FOLLOWUP_GOOD = ["追评：吃完了又回购了两箱", "追评：家里老人也说好吃", "追评：第二次买依然很新鲜"]
TICKET_REASONS = {
    "freshness": ("退款", "商品变质/腐烂"), "logistics": ("补发", "快递破损/漏发"), "quality": ("退货", "质量问题"),
    "taste": ("退款", "口味与描述不符"), "service": ("投诉", "客服未及时处理"), "price": ("退款", "降价补差"),
    "other": ("换货", "发错货"),
}


@dataclass
class Order:
    platform: str
    order_id: str
    product: Product
    batch_code: str
    production_date: dt.date
    expiry_date: dt.date
    warehouse: str
    carrier: str
    waybill: str
    region: str
    paid_at: dt.datetime
    shipped_at: dt.datetime
    signed_at: dt.datetime


@dataclass
class Review:
    order: Order
    external_id: str
    nick: str
    tier: str
    stars: int
    text: str
    reviewed_at: dt.datetime
    followup: str | None
    followup_at: dt.datetime | None
    images: int
    category: str | None


class _Generator:
    def __init__(self, today: dt.date):
        self.rng = random.Random(SEED)
        self.today = today
        self.start = dt.datetime.combine(today - dt.timedelta(weeks=WEEKS), dt.time(9, 0))
        self.batches = self._batches()

    def _batches(self) -> dict[str, list[tuple[str, dt.date, dt.date, bool]]]:
        """Per SKU: (code, produced, expires, troubled) for the weeks shown."""
        out = {}
        for p in PRODUCTS:
            rows = []
            step = max(2, min(p.shelf_life_days // 2, 14))
            day = self.start.date() - dt.timedelta(days=min(p.shelf_life_days // 3, 60))
            n = 0
            while day <= self.today:
                n += 1
                produced = day
                code = f"{p.sku.split('-')[1]}{produced:%y%m%d}"
                rows.append((code, produced, produced + dt.timedelta(days=p.shelf_life_days), False))
                day += dt.timedelta(days=step)
            out[p.sku] = rows
        return out

    def nick(self) -> str:
        a, b = NICK_PARTS
        return self.rng.choice(a) + self.rng.choice(b) + str(self.rng.randint(1, 999)) + "*"

    def when(self) -> dt.datetime:
        days = self.rng.randint(0, WEEKS * 7 - 2)
        return self.start + dt.timedelta(days=days, minutes=self.rng.randint(0, 12 * 60))

    def order(self, platform: str, number: int, product: Product, reviewed_at: dt.datetime,
              warehouse: str | None = None, carrier: str | None = None, near_expiry: bool = False) -> Order:
        rng = self.rng
        signed = reviewed_at - dt.timedelta(hours=rng.randint(4, 72))
        shipped = signed - dt.timedelta(hours=rng.randint(18, 60))
        paid = shipped - dt.timedelta(hours=rng.randint(2, 30))
        batches = [b for b in self.batches[product.sku] if b[1] <= shipped.date()]
        code, produced, expires, _ = batches[-1] if batches else self.batches[product.sku][0]
        if near_expiry:  # the oldest batch still in stock: ships with little shelf life left
            produced = shipped.date() - dt.timedelta(days=max(product.shelf_life_days - 2, 1))
            code = f"{product.sku.split('-')[1]}{produced:%y%m%d}"
            expires = produced + dt.timedelta(days=product.shelf_life_days)
        order_id = {
            "taobao": f"3{(number * 7919 + 1234567) % 10**17:017d}",
            "jd": f"28{(number * 104729) % 10**10:010d}",
            "pdd": f"{paid:%y%m%d}-{(number * 15485863) % 10**15:015d}",
            "meituan": f"8{(number * 32452843) % 10**17:017d}",
        }[platform]
        carrier = carrier or rng.choice(CARRIERS if platform != "jd" else ["京东物流", "京东物流", "顺丰"])
        prefix = {"顺丰": "SF", "中通": "ZT", "京东物流": "JDV", "圆通": "YT"}[carrier]
        return Order(platform, order_id, product, code, produced, expires, warehouse or rng.choice(WAREHOUSES),
                     carrier, f"{prefix}{(number * 7727 + 99991) % 10**12:012d}", rng.choice(REGIONS),
                     paid.replace(second=0), shipped.replace(second=0), signed.replace(second=0))

    def review(self, platform: str, number: int) -> Review:
        rng = self.rng
        product = rng.choice(PRODUCTS)
        reviewed_at = self.when()
        roll = rng.random()
        warehouse = carrier = None
        near_expiry = False
        category = None
        followup = None
        if roll < 0.55:
            stars = rng.choice([5, 5, 5, 4])
            text = rng.choice(for_product(PRAISE[product.kind] + PRAISE["any"], product))
            if rng.random() < 0.12:
                followup = rng.choice(FOLLOWUP_GOOD)
        elif roll < 0.63:
            stars, text = 3, rng.choice(NEUTRAL)
        else:
            category, text, product, extra = self._complaint(product)
            warehouse, carrier, near_expiry = extra
            stars = rng.choice([1, 1, 2, 2, 3]) if category != "cashback" else 5
            if category == "cashback":
                category = "freshness"
            if rng.random() < 0.25:
                # an illness follows a complaint about the food, not one about the courier
                followup = rng.choice(FOLLOWUP_BAD if category in ("freshness", "quality", "taste", "food_safety")
                                      else [f for f in FOLLOWUP_BAD if "不舒服" not in f])
        order = self.order(platform, number, product, reviewed_at, warehouse, carrier, near_expiry)
        followup_at = None
        if followup:
            followup_at = reviewed_at + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
            if followup_at.date() > self.today:
                followup = followup_at = None
        images = rng.choice([0, 0, 0, 1, 2, 3]) if stars <= 2 else rng.choice([0, 0, 0, 0, 1])
        return Review(order, f"{platform.upper()}-R{number:05d}", self.nick(), rng.choice(["新客", "老客", "老客"]),
                      stars, text, reviewed_at.replace(second=0), followup, followup_at and followup_at.replace(second=0),
                      images, category)

    def _complaint(self, product: Product):
        """(category, text, product, (warehouse, carrier, near_expiry)) with the built-in stories."""
        rng = self.rng
        story = rng.random()
        by_sku = {p.sku: p for p in PRODUCTS}
        if story < 0.14:
            p = by_sku[rng.choice(["FZ-DUMP-1KG", "FZ-SHRIMP-500"])]
            return "logistics", rng.choice(COMPLAINTS["logistics"]["frozen"] + COMPLAINTS["freshness"]["frozen"]), p, ("广州仓", "中通", False)
        if story < 0.24:
            p = by_sku["FR-STRAW-2J"]
            return "freshness", rng.choice(COMPLAINTS["freshness"]["fruit"][:1] + ["草莓压坏了好多，汁水流了一盒"]), p, (None, None, False)
        if story < 0.32:
            p = by_sku["DA-FRESH-950"]
            return "freshness", COMPLAINTS["freshness"]["dairy"][0], p, ("杭州仓", None, True)
        if story < 0.40:
            p = by_sku["SN-BEEF-200"]
            return "taste", rng.choice(COMPLAINTS["taste"]["snack"]), p, (None, None, False)
        if story < 0.46:
            p = rng.choice([by_sku["SN-NUT-30"], by_sku["FZ-DUMP-1KG"], by_sku["DA-YOG-6"]])
            return "food_safety", rng.choice(for_product(FOOD_SAFETY[p.kind], p)), p, (None, None, False)
        if story < 0.51:
            p = rng.choice([by_sku["FR-STRAW-2J"], by_sku["DA-FRESH-950"], by_sku["FZ-DUMP-1KG"], by_sku["SN-NUT-30"]])
            return "cashback", rng.choice(for_product(CASHBACK, p)), p, (None, None, False)
        category = rng.choice(["taste", "freshness", "logistics", "quality", "quality", "service", "service", "price", "other"])
        options = COMPLAINTS[category].get(product.kind, []) + COMPLAINTS[category].get("any", [])
        if not options:
            options = COMPLAINTS[category][next(iter(COMPLAINTS[category]))]
        return category, rng.choice(for_product(options, product)), product, (None, None, False)


def _level(stars: int) -> str:
    return "差评" if stars <= 2 else "中评" if stars == 3 else "好评"


def _fmt(value: dt.datetime | dt.date | None, style: str = "dash") -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if style == "slash":
            return f"{value.year}/{value.month}/{value.day} {value:%H:%M}"
        if style == "chinese":
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if style == "slash":
        return f"{value.year}/{value.month}/{value.day}"
    return f"{value:%Y-%m-%d}"


def _csv_bytes(header: list[str], rows: list[list], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def write_demo_files(directory: str | Path, today: dt.date | None = None) -> dict[str, list[Path]]:
    """Write the demo exports into directory; returns {"reviews": [...], "tickets": [...]}."""
    today = today or dt.date.today()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    gen = _Generator(today)
    reviews = {p: [gen.review(p, i + 1) for i in range(n)]
               for p, n in (("taobao", 110), ("jd", 70), ("pdd", 60), ("meituan", 60))}
    out = {"reviews": [], "tickets": []}

    # Taobao/Tmall (千牛 评价管理 + ERP columns), UTF-8 with BOM as Excel saves it.
    header = ["订单编号", "子订单编号", "宝贝名称", "商家编码", "初评等级", "评价内容", "评价时间", "追评内容", "追评时间",
              "买家会员名", "买家类型", "图片", "店铺名称", "批次号", "生产日期", "到期日期", "发货仓", "快递公司", "运单号",
              "发货时间", "签收时间", "收货省份"]
    rows = []
    for i, r in enumerate(reviews["taobao"], 1):
        o = r.order
        images = ";".join(f"https://img.example.com/r{i}_{k}.jpg" for k in range(r.images))
        rows.append([o.order_id, f"{o.order_id}-{i:02d}", o.product.name, o.product.sku, _level(r.stars), r.text,
                     _fmt(r.reviewed_at), r.followup or "", _fmt(r.followup_at), r.nick, r.tier, images, "鲜味日记旗舰店",
                     o.batch_code, _fmt(o.production_date), _fmt(o.expiry_date), o.warehouse, o.carrier, o.waybill,
                     _fmt(o.shipped_at), _fmt(o.signed_at), o.region])
    path = directory / "taobao_reviews.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv_bytes(header, rows, "utf-8"))
    out["reviews"].append(path)

    # JD (京麦 评价管理), XLSX with real date cells.
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "评价列表"
    ws.append(["订单号", "评价ID", "商品编号", "商品名称", "评价星级", "评价内容", "评价时间", "追加评价", "追加评价时间",
               "用户昵称", "会员级别", "晒图数", "批次号", "生产日期", "到期日期", "发货仓", "快递公司", "运单号", "发货时间",
               "签收时间", "收货省份"])
    for r in reviews["jd"]:
        o = r.order
        ws.append([o.order_id, r.external_id, o.product.sku, o.product.name, r.stars, r.text, r.reviewed_at,
                   r.followup, r.followup_at, r.nick, random.Random(r.external_id).choice(["PLUS会员", "金牌", "银牌", "注册会员"]),
                   r.images, o.batch_code, o.production_date, o.expiry_date, o.warehouse, o.carrier, o.waybill,
                   o.shipped_at, o.signed_at, o.region])
    path = directory / "jd_reviews.xlsx"
    wb.save(path)
    out["reviews"].append(path)

    # Pinduoduo (商家后台 评价), GBK as many Windows tools still write it, dates as 2024/3/5 12:00.
    header = ["订单号", "评价ID", "商品名称", "规格编码", "商品规格", "描述相符", "物流服务", "服务态度", "评价内容", "评价时间",
              "追评内容", "买家昵称", "批次号", "生产日期", "到期日期", "发货仓", "快递公司", "运单号", "发货时间", "签收时间"]
    rows = []
    for r in reviews["pdd"]:
        o = r.order
        logistics_score = r.stars if r.category == "logistics" else min(5, r.stars + 1)
        rows.append([o.order_id, r.external_id, o.product.name, o.product.sku, "默认规格", r.stars, logistics_score,
                     max(1, r.stars), r.text, _fmt(r.reviewed_at, "slash"), r.followup or "", r.nick, o.batch_code,
                     _fmt(o.production_date, "slash"), _fmt(o.expiry_date, "slash"), o.warehouse, o.carrier, o.waybill,
                     _fmt(o.shipped_at, "slash"), _fmt(o.signed_at, "slash")])
    path = directory / "pdd_reviews.csv"
    path.write_bytes(_csv_bytes(header, rows, "gbk"))
    out["reviews"].append(path)

    # Meituan (外卖/闪购 商家端), JSON Lines with Chinese keys and 2024年3月5日 dates.
    lines = []
    for r in reviews["meituan"]:
        o = r.order
        lines.append(json.dumps({
            "订单号": o.order_id, "评价ID": r.external_id, "门店名称": "鲜味日记(西湖店)", "菜品": o.product.name,
            "SKU编码": o.product.sku, "总体评分": r.stars, "口味": r.stars if r.category != "taste" else 1,
            "包装": 5 if r.category != "logistics" else 2, "配送": 5 if r.category != "logistics" else 1,
            "评价内容": r.text, "评价时间": _fmt(r.reviewed_at, "chinese"), "追评": r.followup or "",
            "顾客昵称": r.nick, "顾客类型": r.tier, "配送方式": "美团专送", "批次号": o.batch_code,
            "生产日期": _fmt(o.production_date), "到期日期": _fmt(o.expiry_date), "发货仓": o.warehouse,
            "签收时间": _fmt(o.signed_at),
        }, ensure_ascii=False))
    path = directory / "meituan_reviews.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out["reviews"].append(path)

    # After-sales tickets for some of the complaints (same orders), with a 平台 column.
    rng = random.Random(SEED + 1)
    complaints = [r for p in ("taobao", "jd", "pdd") for r in reviews[p] if r.category]
    chosen = rng.sample(complaints, min(30, len(complaints)))
    header = ["平台", "退款编号", "订单编号", "商家编码", "宝贝名称", "退款类型", "退款原因", "退款说明", "退款金额",
              "退款状态", "申请时间", "完结时间", "买家会员名"]
    rows = []
    names = {"taobao": "淘宝", "jd": "京东", "pdd": "拼多多"}
    for i, r in enumerate(sorted(chosen, key=lambda r: r.reviewed_at), 1):
        o = r.order
        category = r.category if r.category in TICKET_REASONS else "quality"
        ticket_type, reason = TICKET_REASONS[category]
        if r.category == "food_safety":
            ticket_type, reason = "投诉", "食品安全问题"
        opened = r.reviewed_at - dt.timedelta(hours=rng.randint(1, 20))
        closed = opened + dt.timedelta(days=rng.randint(1, 4))
        done = closed.date() < today
        amount = f"{rng.choice([19.9, 29.9, 39.9, 59.0, 89.0, 128.0]):.2f}"
        rows.append([names[o.platform], f"TK{today:%y}{i:05d}", o.order_id, o.product.sku, o.product.name, ticket_type,
                     reason, r.text, amount, "退款成功" if done else "待商家处理", _fmt(opened),
                     _fmt(closed) if done else "", r.nick])
    path = directory / "tickets.csv"
    path.write_bytes(_csv_bytes(header, rows, "utf-8"))
    out["tickets"].append(path)
    return out

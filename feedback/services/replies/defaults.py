"""The seed data of the reply drafter: default templates, platform rules and the problem phrases.

Templates are data: `seed_templates()` copies DEFAULT_TEMPLATES into the reply_templates table,
where an admin edits them. The drafter falls back to these only when the table is empty.

Template syntax: `{name}` is a placeholder; `[ ... ]` is an optional part, dropped when a
placeholder inside it has no value. A template whose required placeholders (outside brackets)
lack a value is not eligible; among eligible variants the drafter prefers the ones that use
the most order facts, then picks one by a hash of the review id.
"""
from __future__ import annotations

#: Placeholders a template may use, with what they hold (shown on the template admin page).
PLACEHOLDERS = {
    "item": "订单里的商品，带下单日期（如：您3月5日下单的赣南脐橙）",
    "product": "商品名（无则为“这款商品”）",
    "problem": "该类问题的具体说法（如：有坏果烂果、送货太慢）",
    "evidence": "顾客原话里的问题词，带引号（如：“烂了”、“不新鲜”）",
    "carrier": "承运快递",
    "ship_date": "发货日期",
    "sign_date": "签收日期",
    "transit_days": "运输天数（仅在 3 天以上时有值）",
    "ship_delay_days": "付款到发货的天数（仅在 2 天以上时有值）",
    "production_date": "生产日期",
    "batch_code": "批次号",
    "shelf_left": "发货时剩余保质期比例（仅临期发货时有值）",
    "action": "整改任务里写明的整改措施",
}
#: Placeholders that always have a value (a neutral fallback when the fact is unknown).
ALWAYS_FILLED = frozenset({"item", "product", "problem"})

# (kind, category, tone, food_safety, text)
DEFAULT_TEMPLATES: list[tuple[str, str, str, bool, str]] = [
    # --- openings: the tone -------------------------------------------------------------
    ("opening", "any", "returning", False, "感谢您又一次选择我们，老顾客的意见我们格外看重。"),
    ("opening", "any", "returning", False, "谢谢您一直以来的支持，这次让您失望了，真的很抱歉。"),
    ("opening", "any", "returning", False, "感谢您再次光顾，回头客的每一条反馈我们都会认真对待。"),
    ("opening", "any", "new", False, "欢迎您来到小店，也谢谢您把遇到的问题写下来。"),
    ("opening", "any", "new", False, "感谢您第一次选择我们，也谢谢您花时间留下评价。"),
    ("opening", "any", "new", False, "欢迎您，第一次购物就遇到问题，我们很过意不去。"),
    ("opening", "any", "any", False, "感谢您的评价，您反映的情况我们都认真看了。"),
    ("opening", "any", "any", False, "谢谢您抽时间写下这条评价。"),
    ("opening", "any", "any", False, "您好，感谢您如实反馈这次的购物体验。"),
    # --- acknowledgements, one per category ----------------------------------------------
    ("ack", "freshness", "any", False,
     "{item}{problem}[，您说的{evidence}我们都看到了]，这是我们把关不严，非常抱歉。"),
    ("ack", "freshness", "any", False,
     "很抱歉，{item}{problem}[（您提到{evidence}）]，这样的货本不该发到您手上。"),
    ("ack", "freshness", "any", False,
     "{item}{problem}[，您反映的{evidence}]确实是我们的问题，给您添麻烦了。"),
    ("ack", "taste", "any", False,
     "{item}{problem}[，您提到{evidence}]，没让您吃得满意，我们很抱歉。"),
    ("ack", "taste", "any", False,
     "很抱歉{item}{problem}[，{evidence}的感受我们记下了]，谢谢您直接告诉我们。"),
    ("ack", "taste", "any", False,
     "关于{product}{problem}的问题[（您说{evidence}）]，让您失望了，非常抱歉。"),
    ("ack", "logistics", "any", False,
     "{item}{problem}[，您提到{evidence}]，让您收货这么糟心，非常抱歉。"),
    ("ack", "logistics", "any", False,
     "很抱歉，{item}{problem}[（您说{evidence}）]，送货环节是我们安排的，责任在我们。"),
    ("ack", "logistics", "any", False,
     "{item}{problem}[，{evidence}这样的情况]，我们很抱歉，不该让您承担这份麻烦。"),
    ("ack", "quality", "any", False,
     "{item}{problem}[，您提到{evidence}]，这是我们的责任，非常抱歉。"),
    ("ack", "quality", "any", False,
     "很抱歉，{item}{problem}[（{evidence}）]，是我们没有把好品质关。"),
    ("ack", "quality", "any", False,
     "{item}{problem}[，您反映的{evidence}]，我们已经记下，给您添麻烦了，实在抱歉。"),
    ("ack", "service", "any", False,
     "这次{problem}[，您说{evidence}]，我们向您郑重道歉。"),
    ("ack", "service", "any", False,
     "很抱歉这次{problem}[（您提到{evidence}）]，这不是我们想给顾客的体验。"),
    ("ack", "price", "any", False,
     "这次{problem}[，您说{evidence}]，您的感受我们理解，很抱歉。"),
    ("ack", "price", "any", False,
     "关于价格，这次{problem}[（您提到{evidence}）]，让您心里不舒服了，很抱歉。"),
    ("ack", "other", "any", False,
     "您在评价里反映的问题[（{evidence}）]我们已经记下，很抱歉给您带来不好的体验。"),
    ("ack", "other", "any", False,
     "您说的情况[（{evidence}）]我们认真看了，很抱歉这次没让您满意。"),
    ("ack", "none", "any", False,
     "很抱歉这次购物没能让您满意。方便的话请告诉我们具体是哪里不好，我们会认真核实改进。"),
    ("ack", "none", "any", False,
     "这次没让您满意，我们很抱歉。您愿意的话，可以跟我们说说具体遇到了什么问题，我们一定认真对待。"),
    # --- food safety: careful, never dismissive ------------------------------------------
    ("ack", "any", "any", True,
     "您反映收到的{product}{problem}[，还提到{evidence}]，我们非常重视。首先请您照顾好身体，如仍有不适请及时就医。"),
    ("ack", "any", "any", True,
     "看到您说{product}{problem}[（{evidence}）]，我们非常重视，也很担心您的身体，如有不适请尽快就医。"),
    ("action", "any", "any", True,
     "麻烦您保留剩余的商品和包装，我们会按批次追查生产和储存环节，查清原因后如实告诉您。"),
    ("action", "any", "any", True,
     "请您保留好剩余商品和外包装，品控部门会调出这一批次的生产和检验记录逐项排查，结果会如实告知您。"),
    # --- explanations: only where a real fact exists --------------------------------------
    ("explain", "freshness", "any", False,
     "我们核对了这单，发出的是{production_date}生产的批次[（批次号{batch_code}）]，发货时保质期只剩{shelf_left}，是我们出库把关没做好。"),
    ("explain", "freshness", "any", False,
     "查了记录，这单发出的{product}是{production_date}生产的[（批次号{batch_code}）]，到您手上时状态不好，责任在我们。"),
    ("explain", "freshness", "any", False,
     "经核对，您收到的是{production_date}生产的批次[{batch_code}]，没有达到应有的新鲜度，这一点我们不回避。"),
    ("explain", "logistics", "any", False,
     "我们查了物流记录，这单{ship_date}由{carrier}发出，{sign_date}才签收，路上用了{transit_days}天，比正常时效慢了不少。"),
    ("explain", "logistics", "any", False,
     "物流记录显示{carrier}在{ship_date}揽收，{transit_days}天后才送到您手里，这个时效确实不应该。"),
    ("explain", "logistics", "any", False,
     "我们核对了订单，付款后{ship_delay_days}天才发货，是我们发货慢了。"),
    # --- default actions (used when no root-cause task has a written corrective action) ----
    ("action", "freshness", "any", False, "我们会对同批次库存逐一复检，发货前加强挑拣，临期的货不再发出。"),
    ("action", "freshness", "any", False, "仓库会把这一批次重新检查一遍，并收紧出库前的新鲜度检查。"),
    ("action", "taste", "any", False, "您的意见我们会转给品控和研发，对照配方和工艺复核这批货的口味。"),
    ("action", "taste", "any", False, "我们会把这条反馈交给产品同事，逐项核对原料和制作流程。"),
    ("action", "logistics", "any", False, "我们会把这单的情况反馈给合作快递，同时加固包装、优化发货线路。"),
    ("action", "logistics", "any", False, "我们会跟快递核实这单的运输过程，并重新评估这条线路的时效和包装。"),
    ("action", "quality", "any", False, "我们会对同批次的货重新抽检，发货前加强分拣、称重和包装检查。"),
    ("action", "quality", "any", False, "仓库和品控会按这条反馈复查分拣、称重和打包环节。"),
    ("action", "service", "any", False, "我们会复盘这次的处理过程，改进客服的回复时效和售后流程。"),
    ("action", "service", "any", False, "客服团队会认真复盘这次沟通，类似问题今后会更及时地跟进。"),
    ("action", "price", "any", False, "我们会核对活动规则和页面说明，避免再出现这样的落差。"),
    ("action", "price", "any", False, "活动规则和价格说明我们会重新核对，尽量写得清楚明白。"),
    ("action", "other", "any", False, "我们会逐条核实您说的情况并改进。"),
    # --- the root-cause task's written corrective action -----------------------------------
    ("corrective", "any", "any", False, "针对这个问题，{action}。"),
    ("corrective", "any", "any", False, "目前的整改措施是：{action}。"),
    ("corrective", "any", "any", False, "我们已经着手整改：{action}。"),
    # --- closings -------------------------------------------------------------------------
    ("closing", "any", "returning", False, "谢谢您一直以来的信任，我们会用实际的改进回应您的反馈。"),
    ("closing", "any", "returning", False, "老顾客的每一条意见都是我们改进的方向，再次向您致歉。"),
    ("closing", "any", "new", False, "希望这次的问题没有影响您对小店的印象，我们会认真改进。"),
    ("closing", "any", "new", False, "再次向您道歉，也谢谢您的监督。"),
    ("closing", "any", "any", False, "再次向您致歉，感谢您的监督。"),
    ("closing", "any", "any", False, "谢谢您的反馈，我们会持续改进。"),
]

#: Openings used when the reply must be shortened to fit the platform limit (tone kept).
SHORT_OPENINGS = {"returning": "感谢老顾客的支持。", "new": "欢迎您，感谢反馈。", "any": "感谢反馈。"}
#: Put before the acknowledgement of the second, third... complaint in one reply.
CONNECTORS = ("另外，", "还有，", "同时，", "此外，")

#: Order in which several complaints are answered (the most serious first).
CATEGORY_ORDER = ("freshness", "quality", "taste", "logistics", "service", "price", "other")

#: What each category's problem is called when nothing more specific is known.
DEFAULT_PROBLEMS = {
    "taste": "口味口感没有达到您的期待",
    "freshness": "不够新鲜",
    "logistics": "在配送环节出了问题",
    "quality": "品质没有达到应有的标准",
    "service": "服务没有让您满意",
    "price": "价格让您不满意",
    "other": "遇到了问题",
}

# (category, keywords, problem phrase, food_safety). Matched on the classifier's evidence words
# first, then (multi-character keywords only) on the review text.
SUBTYPES: list[tuple[str, tuple[str, ...], str, bool]] = [
    ("freshness", ("霉", "长毛", "变质", "馊", "酸败", "胀袋", "发臭"), "出现了发霉变质", True),
    ("freshness", ("过期",), "到手时已经过期", True),
    ("freshness", ("临期", "日期", "保质期", "放久", "放太久"), "生产日期不新鲜、临近保质期", False),
    ("freshness", ("烂", "坏", "腐"), "有坏果烂果", False),
    ("freshness", ("蔫", "软了", "发软", "失水", "干瘪", "皱"), "发蔫发软、不够水灵", False),
    ("freshness", ("不新鲜", "新鲜"), "不够新鲜", False),
    ("taste", ("咸", "齁"), "味道太咸", False),
    ("taste", ("不甜", "甜"), "甜度不对", False),
    ("taste", ("酸", "涩", "苦"), "口感偏酸偏涩", False),
    ("taste", ("硬", "柴", "咬不动", "夹生", "没熟", "坨"), "口感发硬、火候不对", False),
    ("taste", ("腥", "怪味", "异味", "难闻", "臭", "一股", "串味", "怪怪"), "有异味", False),
    ("taste", ("变了", "以前", "之前", "从前", "不如"), "味道不如以前", False),
    ("taste", ("油", "腻", "肥"), "太油腻", False),
    ("taste", ("淡", "没味", "没什么味", "寡淡", "不入味", "没有放盐", "没盐"), "味道太淡、不入味", False),
    ("taste", ("不正宗",), "味道不正宗", False),
    ("taste", ("难吃", "不好吃", "难喝", "不好喝", "味道不好", "味道一般", "味道也一般", "不怎么样", "没法吃", "不香"),
     "味道不好", False),
    ("logistics", ("压", "摔", "碰", "挤", "磕", "颠", "破", "砸"), "在运输途中被压坏了", False),
    ("logistics", ("融", "热的", "冰块", "冷藏", "冷链"), "冷链没做好，到手时已经不冰了", False),
    ("logistics", ("没有发货", "没发货", "不发货", "迟迟不发"), "迟迟没有发货", False),
    ("logistics", ("凉", "冷掉", "冰凉"), "送到时已经凉了", False),
    ("logistics", ("化了",), "在运输中化掉了", False),
    ("logistics", ("洒", "撒"), "在路上洒漏了", False),
    ("logistics", ("送错", "没收到", "没送到", "没送", "没给我送", "丢", "南门", "北门"), "没有按时送到或送错了", False),
    ("logistics", ("骑手", "快递员", "送餐员", "配送员", "快递小哥", "外卖员", "送货员"), "配送员的服务不到位", False),
    ("logistics", ("慢", "等", "死等", "等了", "小时", "天", "超时", "晚", "迟", "久", "延误", "蜗牛", "及时", "按时",
                   "速度", "时间过长", "催"), "送货太慢", False),
    ("quality", ("头发", "虫", "苍蝇", "蟑螂", "异物", "玻璃", "塑料", "钢丝", "铁丝", "石子", "指甲", "烟头"),
     "里面有异物", True),
    ("quality", ("拉肚子", "闹肚子", "吃坏肚子", "腹泻", "过敏", "呕吐", "胃疼", "肚子疼", "不舒服", "中毒"),
     "吃后让您身体不适", True),
    ("quality", ("假货", "正品", "冒牌", "山寨", "以次充好"), "让您对是不是正品起了疑问", False),
    ("quality", ("少送", "漏送", "没送", "忘送", "送成", "做错", "没给", "没带", "餐具", "筷子"), "少送或发错了东西", False),
    ("quality", ("漏", "封口", "包装", "胀袋"), "包装有破损或渗漏", False),
    ("quality", ("不符", "描述", "图片", "照片", "货不对板", "骗", "上当"), "和页面描述不一致", False),
    ("quality", ("分量", "量少", "量小", "太少", "特别少", "斤", "不够", "少了", "很少", "只有", "就一盒"), "分量不足", False),
    ("quality", ("个头", "个小", "太小", "很小", "偏小", "大小", "好小", "小得", "迷你", "鸡蛋大", "小"), "个头偏小", False),
    ("quality", ("备注",), "没有按您的备注来做", False),
    ("quality", ("蜡",), "表面有蜡", False),
    ("quality", ("伤", "黑点", "斑", "品相"), "品相不好、有磕伤斑点", False),
    ("quality", ("肥肉",), "肥肉太多", False),
    ("service", ("态度", "借口", "辩护"), "服务态度不好", False),
    ("service", ("打不通", "电话", "挂了"), "电话联系不上、沟通不顺畅", False),
    ("service", ("发票",), "发票迟迟没有开", False),
    ("service", ("不理", "回复", "客服", "没人"), "客服回复不及时", False),
    ("service", ("售后", "不处理", "不给退", "退", "换", "保价", "赔", "承诺", "解决方案", "没下文", "木下文"),
     "售后处理不到位", False),
    ("price", ("降价", "差价"), "刚买就降价了", False),
    ("price", ("优惠", "赠品", "活动", "满减", "券"), "活动优惠没有按说明兑现", False),
    ("price", ("贵", "不值", "性价比", "便宜", "钱", "块", "标价", "超市"), "让您觉得不值这个价", False),
]

#: Words that show a reply talks about a category (warnings on edited replies; retrieval).
CATEGORY_MENTIONS = {
    "taste": ("味", "口感", "口味", "甜", "咸", "酸", "吃"),
    "freshness": ("新鲜", "烂", "坏", "霉", "变质", "日期", "保质期", "蔫", "批次"),
    "logistics": ("物流", "快递", "配送", "送", "运输", "签收", "发货", "骑手"),
    "quality": ("品质", "质量", "分量", "个头", "包装", "异物", "正品", "描述", "少", "发错"),
    "service": ("客服", "服务", "售后", "态度", "回复"),
    "price": ("价格", "降价", "优惠", "不值", "价", "活动"),
    "other": ("问题", "情况"),
}

# Per platform: max_chars, reply_window_days. Every value is editable on the settings page.
PLATFORM_DEFAULTS = {
    "taobao": (500, 30),
    "tmall": (500, 30),
    "jd": (500, 30),
    "pdd": (500, 30),
    "meituan": (500, 30),
    "eleme": (500, 30),
    "douyin": (500, 30),
    "kuaishou": (500, 30),
    "youzan": (500, 30),
    "jddj": (500, 30),
    "other": (500, 30),
}
#: Advertising-law absolutes and similar; the per-platform list starts as this.
DEFAULT_BLOCKED_WORDS = ("全网最低", "最便宜", "第一品牌", "国家级", "顶级", "100%", "绝对")

#: Evidence words too plain to quote back ("您提到“物流”" says nothing).
NEUTRAL_WORDS = frozenset("""物流 快递 配送 送餐 送货 发货 到货 送到 送来 送达 运输 派送 包装 质量 品质 品相 个头 分量 重量 大小
口感 口味 味道 价格 客服 售后 商家 店家 电话 备注 发票 等到 特价 少放 时间 尺寸 直径 斤两
快递员 送餐员 骑手 送货员 配送员 快递小哥 外卖员 外卖小哥 送外卖的 送餐的 冷链""".split())

"""The summary's charts as server-side inline SVG for the web page (the XLSX has native charts),
drawn with the shared chart primitives of ``feedback.charts``."""
from __future__ import annotations

from markupsafe import Markup

from ...charts import hbar_chart, line_chart, pareto_chart


def summary_charts(summary: dict, top: int = 15) -> dict[str, Markup]:
    """The same charts as the workbook, from the same numbers."""
    from .labels import CATEGORY_LABELS

    cats = summary["by_category"]
    skus = summary["by_sku"][:top]
    pareto = summary["pareto"][:20]
    trend = summary["trend"]
    depts = summary["tasks"]["departments"]
    eff = summary["effectiveness"]
    rc = summary["reply_coverage"]["platforms"]
    return {
        "by_category": hbar_chart("各类别投诉数", [c["label"] for c in cats],
                                  [("涉及投诉数", [c["mentioned"] for c in cats]),
                                   ("主类别投诉数", [c["primary"] for c in cats])]),
        "by_sku": hbar_chart("投诉最多的SKU", [s["sku"] for s in skus], [("投诉数", [s["complaints"] for s in skus])]),
        "by_carrier": hbar_chart("各承运商投诉数", [r["name"] for r in summary["by_carrier"]],
                                 [("投诉数", [r["complaints"] for r in summary["by_carrier"]]),
                                  ("物流类", [r["logistics"] for r in summary["by_carrier"]]),
                                  ("新鲜度类", [r["freshness"] for r in summary["by_carrier"]])]),
        "by_warehouse": hbar_chart("各仓库投诉数", [r["name"] for r in summary["by_warehouse"]],
                                   [("投诉数", [r["complaints"] for r in summary["by_warehouse"]]),
                                    ("物流类", [r["logistics"] for r in summary["by_warehouse"]]),
                                    ("新鲜度类", [r["freshness"] for r in summary["by_warehouse"]])]),
        "by_department": hbar_chart("各部门投诉数", [r["name"] for r in summary["by_department"]],
                                    [("投诉数", [r["complaints"] for r in summary["by_department"]])]),
        "pareto": pareto_chart("根因帕累托图", [p["name"] for p in pareto], [p["complaints"] for p in pareto],
                               [p["cumulative"] for p in pareto]),
        "trend": line_chart("投诉数趋势", [t["label"] for t in trend],
                            [("投诉数", [t["complaints"] for t in trend]),
                             ("食品安全", [t["food_safety"] for t in trend])]),
        "trend_categories": line_chart("各类别趋势", [t["label"] for t in trend],
                                       [(name, [t["categories"].get(code, 0) for t in trend])
                                        for code, name in CATEGORY_LABELS.items()]),
        "tasks": hbar_chart("各部门整改任务", [d["name"] for d in depts],
                            [("新开", [d["opened"] for d in depts]), ("已解决", [d["resolved"] for d in depts]),
                             ("已验证", [d["verified"] for d in depts]), ("重开", [d["reopened"] for d in depts]),
                             ("期末逾期", [d["overdue"] for d in depts])]),
        "effectiveness": hbar_chart("整改前后投诉率", [f"#{e['task_id']} {e['title']}" for e in eff],
                                    [("整改前", [e["rate_before"] for e in eff]),
                                     ("整改后", [e["rate_after"] for e in eff])]),
        "reply_coverage": hbar_chart("各平台投诉与已批准解释", [r["label"] for r in rc],
                                     [("来自评价的投诉", [r["complaints"] for r in rc]),
                                      ("已批准评价解释", [r["replied"] for r in rc])]),
    }

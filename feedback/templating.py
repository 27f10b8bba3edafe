"""Jinja2 setup: autoescaping everywhere (review texts are written by strangers), and the
``shop_time`` filter: the system's own timestamps (events, drafts, exports, deadlines) are stored
in UTC and shown in the shop's time, like the review times."""


def includeme(config):
    config.add_jinja2_renderer(".html")
    config.add_jinja2_search_path("feedback:templates", name=".html")
    env_settings = config.get_settings()
    env_settings.setdefault("jinja2.autoescape", "true")
    env_settings.setdefault("jinja2.filters", "shop_time = feedback.models.meta:shop_time")
    # the labels every page names platform values with (one table, also used by the exports)
    env_settings.setdefault("jinja2.globals", "\n".join(
        f"{name} = feedback.services.exports.labels:{name.upper()}"
        for name in ("rating_level_labels", "buyer_tier_labels", "ticket_type_labels")))

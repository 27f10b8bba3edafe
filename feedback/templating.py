"""Jinja2 setup: autoescaping everywhere (review texts are written by strangers)."""


def includeme(config):
    config.add_jinja2_renderer(".html")
    config.add_jinja2_search_path("feedback:templates", name=".html")
    env_settings = config.get_settings()
    env_settings.setdefault("jinja2.autoescape", "true")

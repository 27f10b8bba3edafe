"""Feedback Loop: the Pyramid application."""
from pyramid.config import Configurator


def main(global_config, **settings):
    """WSGI app factory (paste.app_factory entry point)."""
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include(".models")
        config.include(".security")
        config.include(".routes")
        config.include(".templating")
        config.scan(".views")
    return config.make_wsgi_app()

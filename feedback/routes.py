"""Every route of the app, with dotted names. tests/functional/test_routes.py asserts the list."""


def includeme(config):
    config.add_static_view("static", "feedback:static", cache_max_age=3600)
    config.add_route("home", "/")
    config.add_route("health", "/health")

    # JSON API (token auth)
    config.add_route("api.openapi", "/api/v1/openapi.json")
    config.add_route("api.reviews", "/api/v1/reviews")
    config.add_route("api.tickets", "/api/v1/tickets")

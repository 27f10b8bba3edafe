from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import text


@view_config(route_name="health", renderer="json", permission=NO_PERMISSION_REQUIRED)
def health(request):
    request.dbsession.execute(text("SELECT 1"))
    return {"status": "ok"}

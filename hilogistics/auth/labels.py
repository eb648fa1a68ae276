"""How each role is named in the interface (one list for every page)."""

from flask_babel import lazy_gettext as _l

from hilogistics.auth.models import Role

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.LOGISTICS: _l("Logistics staff"),
    Role.TECHNICIAN: _l("Centre technician"),
    Role.VIEWER: _l("Viewer (read only)"),
}

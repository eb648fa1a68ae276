"""Default settings; create_app() overrides them from instance/config.py and the environment."""

from datetime import date, timedelta

# A relative SQLite path resolves inside the instance folder (Flask-SQLAlchemy 3).
SQLALCHEMY_DATABASE_URI = "sqlite:///hilogistics.sqlite"
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

# Milliseconds a SQLite writer waits for the lock; PostgreSQL lock and statement limits.
SQLITE_BUSY_TIMEOUT_MS = 15_000
PG_LOCK_TIMEOUT_MS = 10_000
PG_STATEMENT_TIMEOUT_MS = 60_000

LANGUAGES = {"en": "English", "ko_KP": "조선어", "fr": "Français"}
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "Asia/Pyongyang"
# The programme's zone decides what "today" is for business dates (hilogistics.dates).
BUSINESS_TIMEZONE = "Asia/Pyongyang"
# No business date before the programme started (ISO date string from the environment).
PROGRAMME_START = date(2001, 1, 1)

SESSION_IDLE_TIMEOUT = timedelta(hours=2)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_NAME = "hilo_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Set to True (HILOGISTICS_SESSION_COOKIE_SECURE=true) when served over HTTPS.
SESSION_COOKIE_SECURE = False

# Failed logins per username (and per client address) before refusing for a while.
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 30
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
LOGIN_LOCKOUT = timedelta(minutes=15)

MAX_CONTENT_LENGTH = 10 * 1024 * 1024
WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which has its own timeouts

PER_PAGE = 50
# Names are configuration: a plain string, or one name per interface language.
ORGANISATION_NAME: str | dict[str, str] = "Handicap International"
PARTNER_NAME: str | dict[str, str] = {
    "en": "Korean Federation for the Protection of the Disabled",
    "ko_KP": "조선장애자보호련맹",
    "fr": "Fédération coréenne pour la protection des personnes handicapées",
}

# The app's public address (https://hilo.example.org): printed QR codes then open the document
# from a phone; without it they carry the document number, which the header search takes.
BASE_URL = ""
# Refuse to print a character the shipped fonts cannot draw (tests); otherwise it prints as "?".
DOCUMENTS_STRICT_GLYPHS = False

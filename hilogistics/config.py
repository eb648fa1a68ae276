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
# The cookie is signed again only when the session changes: the idle stamp ("seen_at") moves
# at most once a minute (auth.sessions), so an active session's cookie, and its signature's
# age that Flask checks against PERMANENT_SESSION_LIFETIME, stay fresh without re-signing
# the same content on every page view.
SESSION_REFRESH_EACH_REQUEST = False
SESSION_COOKIE_NAME = "hilo_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Set to True (HILOGISTICS_SESSION_COOKIE_SECURE=true) when served over HTTPS.
SESSION_COOKIE_SECURE = False

# Reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe (0: none, so the
# client address is the TCP peer). Set it to the number of proxies that add these headers.
TRUSTED_PROXIES = 0

# Sign-in throttle (hilogistics.auth.throttle). A username with LOGIN_MAX_FAILURES failed
# sign-ins (or current-password checks) within LOGIN_FAILURE_WINDOW is locked for LOGIN_LOCKOUT,
# except from an address where that user signed in within LOGIN_KNOWN_ADDRESS_TTL: there the
# right password still works, and only LOGIN_MAX_FAILURES failures from that address lock it.
LOGIN_MAX_FAILURES = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
LOGIN_LOCKOUT = timedelta(minutes=15)
LOGIN_KNOWN_ADDRESS_TTL = timedelta(days=30)
# After this many failures from one client address (any usernames) within the window, that
# address waits between attempts: 1 s, then twice as long after each failure, at most
# LOGIN_ADDRESS_MAX_DELAY. Users who signed in from it before are not held up by the wait.
LOGIN_MAX_FAILURES_PER_ADDRESS = 30
LOGIN_ADDRESS_MAX_DELAY = timedelta(seconds=60)

# Request size limits. Forms are small: 1 MB and 1000 fields are far above the largest
# legitimate form (a receipt of 100 lines); the catalogue import accepts files up to
# IMPORT_MAX_CONTENT_LENGTH. Larger requests are answered 413 before they are parsed.
MAX_CONTENT_LENGTH = 1024 * 1024
IMPORT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024
MAX_FORM_MEMORY_SIZE = 500_000
MAX_FORM_PARTS = 1000

WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which has its own timeouts

PER_PAGE = 50
# Pages kept per process for a request with the very same inputs (hilogistics/pagememo.py);
# about 45 KB each. 0: none.
PAGE_MEMO_ENTRIES = 64
# Requests a process serves before it freezes what they built (hilogistics._freeze_after_warm_up,
# outside tests and debug). 0: never.
GC_FREEZE_AFTER_REQUESTS = 200
# A counted line whose difference is above either threshold needs a recount by someone else:
# more units than this, or more than this percentage of the system balance.
COUNT_RECOUNT_QUANTITY = 10
COUNT_RECOUNT_PERCENT = 10
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

# Distributions name their recipient by a code, never a name (beneficiaries' privacy): a
# reference must match this pattern in full (upper-cased first). RECIPIENT_REFERENCE_EXAMPLE is
# what the form and its messages show as an example.
RECIPIENT_REFERENCE_PATTERN = r"[A-Z]{2,6}-[0-9]{2,8}"
RECIPIENT_REFERENCE_EXAMPLE = "BEN-0042"

"""Django settings for urbanmgmt: one file, values from the environment (see env.py)."""

from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from urbanmgmt.env import envbool, envfloat, envint, envlist, envstr, secret_key
from urbanmgmt.storage.config import object_storages

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("URBANMGMT_VAR_DIR", str(BASE_DIR / "var")))
# Read-only reference data (models, boundaries); tests and benchmarks read it from here.
SHARED_DATA_DIR = Path(envstr("URBANMGMT_SHARED_DATA", str(BASE_DIR.parent / "shared" / "data")))
FIXTURES_DIR = BASE_DIR / "fixtures"

SECRET_KEY = secret_key(VAR_DIR)
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "urbanmgmt.jobs.apps.TaskResultsConfig",  # django_tasks_db
    "urbanmgmt.jobs.apps.TaskQueuesConfig",  # django_rq
    "urbanmgmt.jobs",
    "urbanmgmt.grids",
    "urbanmgmt.catalog",
    "urbanmgmt.org",
    "urbanmgmt.cases",
    "urbanmgmt.kpi",
    "urbanmgmt.hotline",
    "urbanmgmt.supervision",
    "urbanmgmt.patrols",
    "urbanmgmt.webhooks",
    "collectors_app",
    "vision",
    "maps",
    "demo",  # the demo city and the simulated year: load_demo, simulate_year
    "urbanmgmt.org.apps.LoginProtectionConfig",  # django-axes
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "urbanmgmt.urls"
WSGI_APPLICATION = "urbanmgmt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "urbanmgmt" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: embedded SpatiaLite under var/ unless DATABASE_URL names PostGIS. ---
SPATIALITE_LIBRARY_PATH = envstr("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
DATABASE_URL = envstr("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("CONN_MAX_AGE", 600),
                                                  conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
else:
    DATABASES = {
        "default": {
            "ENGINE": "urbanmgmt.spatialite",
            "NAME": envstr("SQLITE_PATH", str(VAR_DIR / "urbanmgmt.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE: a writer takes the lock when its transaction starts, so two
                # writers queue instead of deadlocking on a read→write upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": envint("SQLITE_TIMEOUT_S", 30),
                # WAL: readers never wait for the writer. NORMAL: no fsync per commit (a power
                # cut may lose the last commits, never corrupt). A 32 MB page cache and a
                # checkpoint every ~40 MB of WAL keep a busy writer off the disk.
                "init_command": envstr("SQLITE_INIT", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                       "PRAGMA cache_size=-32000; PRAGMA wal_autocheckpoint=10000;"),
            },
            "TEST": {"NAME": envstr("SQLITE_TEST_PATH", str(VAR_DIR / "test_urbanmgmt.sqlite3"))},
            # Opening a SpatiaLite connection (loading the extension) costs ~6 ms: keep it.
            "CONN_MAX_AGE": envint("CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
        }
    }
# A bulk job's SQLite connection while it runs (urbanmgmt/sqlitebulk.py): its page cache (an
# import's batches revisit the same index pages) and the write-ahead log it lets grow before a
# checkpoint (one at its end). 0 leaves the connection's own.
SQLITE_BULK_CACHE_MB = envint("SQLITE_BULK_CACHE_MB", 256)
SQLITE_BULK_WAL_MB = envint("SQLITE_BULK_WAL_MB", 256)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Many web nodes: a read replica for the managers' dashboards, reports and exports
# (urbanmgmt/dbrouters.py). Reads under these paths go to it, writes always to the primary.
DATABASE_REPLICA_URL = envstr("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=envint("CONN_MAX_AGE", 600),
                                                 conn_health_checks=True)
    DATABASES["replica"]["ENGINE"] = {"django.db.backends.postgresql": "django.contrib.gis.db.backends.postgis",
                                      "django.contrib.gis.db.backends.spatialite": "urbanmgmt.spatialite"}.get(
        DATABASES["replica"]["ENGINE"], DATABASES["replica"]["ENGINE"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["urbanmgmt.dbrouters.ReplicaRouter"]
DATABASE_REPLICA_PATHS = envlist("DATABASE_REPLICA_PATHS", "/kpi/,/api/v1/kpi/,/api/v1/map/export/")
MIDDLEWARE.append("urbanmgmt.dbrouters.ReplicaMiddleware")  # last: the user is loaded from the primary first

# --- Accounts: passwords, login throttling (django-axes), and the HTTPS switch. ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# axes watches every authenticate() call (login form, admin, the API token) before the
# ordinary backend checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envfloat("AXES_COOLOFF_MINUTES", 15))
# One name from one address: a typo-prone inspector cannot lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The lockout runs from the failure that caused it; tries while locked do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "urbanmgmt.org.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "urbanmgmt.org.lockout.client_ip"

# Production behind HTTPS: one switch. Off, `make run` serves plain http on 127.0.0.1.
HTTPS = envbool("URBANMGMT_HTTPS", False)
# The reverse proxies in front (nginx terminating TLS: 1); they must overwrite, not pass on,
# X-Forwarded-Proto, and append the client to X-Forwarded-For.
PROXY_COUNT = envint("URBANMGMT_PROXY_COUNT", 1 if HTTPS else 0)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's plain-http probe
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and envbool("SECURE_HSTS_PRELOAD", True)  # the header allows it; listing is a separate step
if PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Content-Security-Policy (django-csp 4): nothing but this server, no inline script.
# Inline <script>/<style> that cannot move (folium's map, the API docs) carry the nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

# --- Language and time: Chinese first, Beijing time. ---
LANGUAGE_CODE = envstr("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["urbanmgmt.formats"]  # counts grouped "135,000" in both languages, when asked
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "urbanmgmt" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# --- Media on object storage (urbanmgmt/storage/). With MEDIA_S3_BUCKET, photos, snapshots,
# strips and exports go to that S3-compatible bucket (django-storages, boto3) instead of
# MEDIA_ROOT: originals private, served after the access check by a signed URL living
# MEDIA_S3_URL_MAX_AGE_S; display copies and thumbnails public-read if MEDIA_S3_PUBLIC_DISPLAY.
MEDIA_S3_BUCKET = envstr("MEDIA_S3_BUCKET", "")
MEDIA_S3_ENDPOINT_URL = envstr("MEDIA_S3_ENDPOINT_URL", "")  # empty: AWS itself
MEDIA_S3_REGION = envstr("MEDIA_S3_REGION", "")
MEDIA_S3_ACCESS_KEY = envstr("MEDIA_S3_ACCESS_KEY", "")
MEDIA_S3_SECRET_KEY = envstr("MEDIA_S3_SECRET_KEY", "")
MEDIA_S3_PUBLIC_DISPLAY = envbool("MEDIA_S3_PUBLIC_DISPLAY", False)
MEDIA_S3_URL_MAX_AGE_S = envint("MEDIA_S3_URL_MAX_AGE_S", 300)
MEDIA_S3_TIMEOUT_S = envfloat("MEDIA_S3_TIMEOUT_S", 5)  # connect and read; past it the upload is refused
# Threads a web worker has to send a photo's copies while the request sends the original: one
# a request thread (gunicorn's THREADS, deploy/gunicorn.conf.py), as each waits for its own.
MEDIA_PUT_THREADS = envint("MEDIA_PUT_THREADS", envint("THREADS", 4))
STORAGES["display"] = STORAGES["default"]
if MEDIA_S3_BUCKET:
    STORAGES.update(object_storages(MEDIA_S3_PUBLIC_DISPLAY))
    # /media/ answers a redirect to the bucket: the pages may load images from there.
    _bucket = urlsplit(MEDIA_S3_ENDPOINT_URL) if MEDIA_S3_ENDPOINT_URL else None
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(
        f"{_bucket.scheme}://{_bucket.netloc}" if _bucket else "https://*.amazonaws.com")

# --- Geometry: stored in WGS84, measured in the city's UTM zone. ---
METRIC_SRID = envint("METRIC_SRID", 32650)
# How long a process trusts its in-memory grid index before checking the layer's version.
GRID_INDEX_TTL_S = envfloat("GRID_INDEX_TTL_S", 5.0)

# --- The dispatch map. The base is the city's own boundaries and grids; a tile layer is
# optional (an offline city network has none): a URL template such as
# "https://tiles.example.gov.cn/{z}/{x}/{y}.png", with its attribution.
MAP_TILE_URL = envstr("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = envstr("MAP_TILE_ATTRIBUTION", "")
if MAP_TILE_URL:  # the tiles' server may serve images to the pages ({s}: any subdomain)
    _tiles = urlsplit(MAP_TILE_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}")
# Above this many cases in view the case layer answers counts per grid/community/street.
MAP_MAX_POINTS = envint("MAP_MAX_POINTS", 2000)
# How often the map asks for changes (seconds).
MAP_POLL_S = envint("MAP_POLL_S", 5)

# --- 12345 tickets (urbanmgmt/hotline). Linking: an open case of the same category (or
# major class) within this distance and time window, by family or "C01"/"E05" major class.
HOTLINE_LINK_WINDOWS = {"component": (50.0, 30.0), "event": (50.0, 7.0), "E05": (50.0, 2.0), "E04": (80.0, 2.0)}
HOTLINE_LINK_THRESHOLD = envfloat("HOTLINE_LINK_THRESHOLD", 0.6)  # score (0..1) above which a ticket is linked
HOTLINE_REVIEW_BELOW = envfloat("HOTLINE_REVIEW_BELOW", 0.6)  # category confidence under which intake reviews
# A trained version files without review only from the confidence at which its held-out
# tickets were right this often (training.file_above); below, intake reviews.
HOTLINE_FILE_PRECISION = envfloat("HOTLINE_FILE_PRECISION", 0.9)
HOTLINE_PLACE_MIN_CONFIDENCE = envfloat("HOTLINE_PLACE_MIN_CONFIDENCE", 0.5)  # below: the unplaced queue
# Confidence thresholds per outcome: out of scope at or above this is forwarded (转办) without
# review; a learned department at or above this is suggested; a source's own classification
# mapped to the catalogue multiplies its outcome's odds by this factor.
HOTLINE_FORWARD_ABOVE = envfloat("HOTLINE_FORWARD_ABOVE", 0.8)
HOTLINE_DEPARTMENT_ABOVE = envfloat("HOTLINE_DEPARTMENT_ABOVE", 0.7)
HOTLINE_SOURCE_CATEGORY_ODDS = envfloat("HOTLINE_SOURCE_CATEGORY_ODDS", 9.0)
HOTLINE_RETRAIN_AFTER = envint("HOTLINE_RETRAIN_AFTER", 50)  # new intake decisions that retrain the classifier
HOTLINE_UPLOAD_MAX_BYTES = envint("HOTLINE_UPLOAD_MAX_BYTES", 500 * 2**20)
# The source system of an import that names none (a ticket is known by its source and number):
# one city's 12345 platform, whatever its export files are called.
HOTLINE_DEFAULT_SOURCE = envstr("HOTLINE_DEFAULT_SOURCE", "12345")
# The knowledge base (知识库): entries offered per ticket; days after which an entry is due for
# review; days before its end that an entry counts as expiring soon.
HOTLINE_KB_MATCHES = envint("HOTLINE_KB_MATCHES", 3)
HOTLINE_KB_REVIEW_DAYS = envint("HOTLINE_KB_REVIEW_DAYS", 180)
HOTLINE_KB_EXPIRING_DAYS = envint("HOTLINE_KB_EXPIRING_DAYS", 30)
# Open311: the jurisdiction this endpoint serves; a request naming another one is refused (404).
OPEN311_JURISDICTION_ID = envstr("OPEN311_JURISDICTION_ID", "urbanmgmt")

# --- Background work (urbanmgmt/jobs) through Django's tasks API (the django-tasks backport):
# the queue lives in the database unless REDIS_URL names a Redis; `manage.py tasks_worker`
# runs it either way. A running job's worker renews its lease; TASKS_LEASE_S without renewal
# means the worker is gone and the job runs again. Retries wait TASKS_RETRY_BASE_S, doubling.
REDIS_URL = envstr("REDIS_URL", "")
TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend" if REDIS_URL else "django_tasks_db.DatabaseBackend",
                     "QUEUES": ["default"]}}
# RQ's own job timeout is off: a 20-million-row import runs for hours; the lease finds dead workers.
# Its connection comes from a pooled cache client (urbanmgmt/jobs/redis.py), not one per enqueue.
RQ_QUEUES = {"default": {"USE_REDIS_CACHE": "tasks-redis", "DEFAULT_TIMEOUT": -1}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
          "tasks-redis": {"BACKEND": "urbanmgmt.jobs.redis.QueueConnection",
                          "LOCATION": REDIS_URL or "redis://127.0.0.1:6379/0"}}
TASKS_LEASE_S = envfloat("TASKS_LEASE_S", 60)
TASKS_MAX_ATTEMPTS = envint("TASKS_MAX_ATTEMPTS", 3)
TASKS_RETRY_BASE_S = envfloat("TASKS_RETRY_BASE_S", 10)
TASKS_RETRY_MAX_S = envfloat("TASKS_RETRY_MAX_S", 600)
TASKS_REDELIVER_S = envfloat("TASKS_REDELIVER_S", 600)  # queued this long unclaimed: the message was lost
# On Redis, jobs enqueued faster than one message goes out share a message (at most TASKS_BATCH);
# those still waiting when one runs past TASKS_BATCH_HOLD_S go back to the queue (jobs/redis.py).
TASKS_BATCH = envint("TASKS_BATCH", 50)
TASKS_BATCH_HOLD_S = envfloat("TASKS_BATCH_HOLD_S", 2)
# Finished jobs stay this many days for their starters and the admin, then a daily job prunes
# them (the periodic ones alone make ~300 rows a day).
TASKS_KEEP_DAYS = envint("TASKS_KEEP_DAYS", 30)

# --- The video channel (vision/). A worker's candidate time may be this far ahead of the
# server's clock; the worker's model weights for `make run`'s demo (never downloaded here).
VISION_CLOCK_SKEW_S = envint("VISION_CLOCK_SKEW_S", 60)
VISION_WEIGHTS = envstr("VISION_WEIGHTS", str(SHARED_DATA_DIR / "models" / "yolo11n_int8_openvino_model"))

# --- Working time (the calendar itself is a table; these are the daily hours). ---
WORKING_HOURS = envstr("WORKING_HOURS", "08:30-12:00,13:30-17:30")
SIGN_WITHIN_WORKING_HOURS = envfloat("SIGN_WITHIN_WORKING_HOURS", 2)
RETURN_WITHIN_WORKING_DAYS = envfloat("RETURN_WITHIN_WORKING_DAYS", 1)
EXTENSION_MAX_TOTAL_WORKING_DAYS = envfloat("EXTENSION_MAX_TOTAL_WORKING_DAYS", 10)
EXTENSION_MIN_NOTICE_WORKING_DAYS = envfloat("EXTENSION_MIN_NOTICE_WORKING_DAYS", 1)

# Inspection tasks (核实 / 核查) are due this many working hours after they are given.
VERIFY_WITHIN_WORKING_HOURS = envfloat("VERIFY_WITHIN_WORKING_HOURS", 2)
CHECK_WITHIN_WORKING_HOURS = envfloat("CHECK_WITHIN_WORKING_HOURS", 2)
# A filed case is dispatched in time (按时派遣) within this many working hours.
DISPATCH_WITHIN_WORKING_HOURS = envfloat("DISPATCH_WITHIN_WORKING_HOURS", 1)

# --- The managers' figures: days before the last KPI_LIVE_DAYS (and today) are stored per
# day (kpi/daily.py); these recent ones are always counted afresh, as their figures still move
# with the clock (a signing deadline passing). Keep it above the longest signing window.
KPI_LIVE_DAYS = envint("KPI_LIVE_DAYS", 14)

# --- Supervision (督办, urbanmgmt/supervision/). Working hours a department has to answer a
# notice, by level; the periodic jobs the task worker enqueues (urbanmgmt/jobs/periodic.py),
# seconds apart; the outbound channels each reminder goes through besides the bell.
SUPERVISION_ANSWER_WORKING_HOURS = {"remind": envfloat("SUPERVISION_REMIND_HOURS", 15),
                                    "supervise": envfloat("SUPERVISION_SUPERVISE_HOURS", 7.5),
                                    "listed": envfloat("SUPERVISION_LISTED_HOURS", 4)}
SUPERVISION_SWEEP_S = envint("SUPERVISION_SWEEP_S", 300)
PERIODIC_JOBS = {"urbanmgmt.supervision.tasks.sweep_supervision": SUPERVISION_SWEEP_S}
PERIODIC_JOBS["urbanmgmt.jobs.periodic.prune_jobs"] = 24 * 3600
PERIODIC_JOBS["urbanmgmt.hotline.uploads.prune_upload_files"] = 24 * 3600
SUPERVISION_CHANNELS = ["urbanmgmt.supervision.channels.EmailChannel"]
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "urbanmgmt@localhost")

# --- Patrols (巡查, urbanmgmt/patrols/). Tracks are personal data: kept this many days, then
# deleted by a periodic job. The phone records a point at most every PATROL_POINT_EVERY_S
# seconds or PATROL_POINT_EVERY_M metres; the map calls an inspector on patrol idle after
# PATROL_IDLE_MINUTES without moving, offline after PATROL_OFFLINE_MINUTES without a point.
PATROL_TRACK_RETENTION_DAYS = envint("PATROL_TRACK_RETENTION_DAYS", 180)
PATROL_POINT_EVERY_S = envint("PATROL_POINT_EVERY_S", 15)
PATROL_POINT_EVERY_M = envint("PATROL_POINT_EVERY_M", 20)
PATROL_IDLE_MINUTES = envint("PATROL_IDLE_MINUTES", 15)
PATROL_OFFLINE_MINUTES = envint("PATROL_OFFLINE_MINUTES", 10)
# Idle: every point of the last PATROL_IDLE_MINUTES within this many metres of the last fix.
PATROL_IDLE_RADIUS_M = envint("PATROL_IDLE_RADIUS_M", 30)
# Attendance (在岗率, urbanmgmt/patrols/figures.py): patrol time within working hours on
# working days ÷ those working hours; a working day counts as attended (出勤) with at least
# PATROL_ATTENDANCE_MIN_MINUTES of patrol within its working hours.
PATROL_ATTENDANCE_MIN_MINUTES = envint("PATROL_ATTENDANCE_MIN_MINUTES", 240)
# What the point ingest refuses (urbanmgmt/patrols/services.py): a fix less accurate than
# PATROL_ACCURACY_MAX_M, farther than PATROL_EXTENT_MARGIN_M outside the grid layer's extent,
# more than PATROL_CLOCK_SKEW_S ahead of the server; a batch of more than PATROL_BATCH_MAX_POINTS.
# A step implying more than PATROL_MAX_SPEED_MPS (a GPS jump) is kept but not counted as distance.
PATROL_ACCURACY_MAX_M = envfloat("PATROL_ACCURACY_MAX_M", 100)
PATROL_EXTENT_MARGIN_M = envfloat("PATROL_EXTENT_MARGIN_M", 2000)
PATROL_CLOCK_SKEW_S = envint("PATROL_CLOCK_SKEW_S", 120)
PATROL_BATCH_MAX_POINTS = envint("PATROL_BATCH_MAX_POINTS", 500)
PATROL_MAX_SPEED_MPS = envfloat("PATROL_MAX_SPEED_MPS", 30)
PATROL_RETENTION_SWEEP_S = envint("PATROL_RETENTION_SWEEP_S", 3600)
PERIODIC_JOBS["urbanmgmt.patrols.tasks.prune_tracks"] = PATROL_RETENTION_SWEEP_S

# --- Webhooks out (urbanmgmt/webhooks/): each POST waits this long for the receiver; a
# delivery is tried this many times (the queue's backoff between tries); a subscription is
# paused after this many deliveries failed in a row (0: never). A process that found no
# subscription asks again after WEBHOOK_SUBSCRIPTIONS_TTL_S (one saving one forgets at once).
WEBHOOK_TIMEOUT_S = envfloat("WEBHOOK_TIMEOUT_S", 5)
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_PAUSE_AFTER_FAILURES = envint("WEBHOOK_PAUSE_AFTER_FAILURES", 50)
WEBHOOK_SUBSCRIPTIONS_TTL_S = envfloat("WEBHOOK_SUBSCRIPTIONS_TTL_S", 5)
# Events whose every delivery is done (delivered or failed) are deleted after this many days.
WEBHOOK_KEEP_DAYS = envint("WEBHOOK_KEEP_DAYS", 90)
PERIODIC_JOBS["urbanmgmt.webhooks.sending.prune_events"] = 24 * 3600

# --- Photos as evidence. ---
PHOTO_MAX_BYTES = envint("PHOTO_MAX_BYTES", 10 * 2**20)
REPORT_MAX_BYTES = envint("REPORT_MAX_BYTES", 40 * 2**20)
REPORT_MAX_PHOTOS = envint("REPORT_MAX_PHOTOS", 6)
# A department's reply that a problem is fixed comes with a photo taken after (DOMAIN §4:
# reply + after-photo); a 12345 consultation or suggestion is answered in words. False: any reply.
HANDLE_NEEDS_PHOTO = envbool("HANDLE_NEEDS_PHOTO", True)
PHOTO_MAX_PIXELS = envint("PHOTO_MAX_PIXELS", 60_000_000)  # above: a decompression bomb, refused
PHOTO_DISPLAY_EDGE = envint("PHOTO_DISPLAY_EDGE", 1000)  # ≤ 1000: a 12 MP JPEG decodes at 1/4 scale
PHOTO_THUMB_EDGE = envint("PHOTO_THUMB_EDGE", 320)
# Flags on an inspector's photo: EXIF place or time this far from the report.
PHOTO_FLAG_DISTANCE_M = envfloat("PHOTO_FLAG_DISTANCE_M", 200)
PHOTO_FLAG_HOURS = envfloat("PHOTO_FLAG_HOURS", 2)
# GPS accuracy gate of the inspectors' app: warn above, refuse above (unless placed by hand).
COLLECT_ACCURACY_WARN_M = envfloat("COLLECT_ACCURACY_WARN_M", 30)
COLLECT_ACCURACY_MAX_M = envfloat("COLLECT_ACCURACY_MAX_M", 100)
# Before an inspector reports, the open cases of the same category this near are offered (已有人上报？).
COLLECT_DUPLICATE_RADIUS_M = envfloat("COLLECT_DUPLICATE_RADIUS_M", 50)
MEDIA_URL_MAX_AGE_S = envint("MEDIA_URL_MAX_AGE_S", 3600)
# Uploads: a request body over UPLOAD_MAX_BYTES is refused (413) before it is stored; one that
# did not arrive whole is refused (400, urbanmgmt/uploads.py). Below FILE_UPLOAD_MAX_MEMORY_SIZE
# the files stay in memory, above they stream to a temporary file (FILE_UPLOAD_TEMP_DIR).
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", REPORT_MAX_BYTES + 2**20)  # the photos and the form around them
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 12 * 2**20)
FILE_UPLOAD_TEMP_DIR = envstr("FILE_UPLOAD_TEMP_DIR", "") or None
FILE_UPLOAD_HANDLERS = ["urbanmgmt.uploads.WholeBodyUploadHandler",
                        "django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "django.core.files.uploadhandler.TemporaryFileUploadHandler"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "urbanmgmt.api_guards.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 500,
    "DEFAULT_PARSER_CLASSES": [
        "urbanmgmt.api_guards.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "urbanmgmt.api.exception_handler",
}
API_MAX_PAGE_SIZE = envint("API_MAX_PAGE_SIZE", 2000)  # a larger limit or page_size is cut to this
API_MAX_JSON_DEPTH = 32  # deeper JSON bodies are refused: no request of the API needs more than a few levels
# Times from outside (12345 tickets, reports) before this day are refused (urbanmgmt/moments.py).
EARLIEST_DAY = date.fromisoformat(envstr("EARLIEST_DAY", "2000-01-01"))
SPECTACULAR_SETTINGS = {
    "TITLE": "urbanmgmt API",
    "DESCRIPTION": _("Digital urban management: unit grids, categories, cases and their closed loop."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # django-axes says every successful login at INFO; its failures and lockouts are warnings.
    "loggers": {"axes": {"level": envstr("AXES_LOG_LEVEL", "WARNING")}},
}

if envbool("URBANMGMT_FAST_HASHER", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Debian 12 ships GDAL 3.6, which cannot block file and network access from spatial
# references; only staff import layers (import_grids), and the network is closed anyway.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Who issues the daily and monthly reports (kpi/reports.py); empty: the command centre of the
# first district in the area data.
REPORT_ISSUER = envstr("URBANMGMT_REPORT_ISSUER", "")
# Exports answered at once, in the request: the map's cases up to this many rows, the managers'
# workbook up to this many days. Larger ones are made by the task worker and kept under /exports/.
EXPORT_IMMEDIATE_MAX_ROWS = envint("EXPORT_IMMEDIATE_MAX_ROWS", 5000)
EXPORT_IMMEDIATE_MAX_DAYS = envint("EXPORT_IMMEDIATE_MAX_DAYS", 31)
# Cases per frame of a GIS export (maps/exports.py): what its writer holds in memory at once.
EXPORT_FRAME_ROWS = envint("EXPORT_FRAME_ROWS", 2000)
# Where a background export is written before it is kept (a folder per job): on the disk, not
# in a /tmp that may be memory (tmpfs). Kept exports go when their jobs are pruned.
EXPORT_WORK_DIR = Path(envstr("EXPORT_WORK_DIR", str(VAR_DIR / "export-work")))
PERIODIC_JOBS["urbanmgmt.storage.exports.prune_files"] = 24 * 3600

# The rows a dashboard table shows at most (the valid-report rate by grid is thousands a year):
# the first in the order chosen; the workbook has them all.
KPI_TABLE_ROWS = envint("KPI_TABLE_ROWS", 100)

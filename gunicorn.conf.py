"""gunicorn's settings for hubbar: ``gunicorn -c gunicorn.conf.py wsgi:app`` (what `make serve`
runs). HUBBAR_WORKERS and HUBBAR_BIND choose the workers and the address (hubbar/config.py has
their defaults); the rest is fixed here.

No preload: each worker imports wsgi.py and builds its own app, so that no database connection
(nor the scheduler's thread) is made before the fork and shared by several processes.
"""

import os

from hubbar.config import serving_bind, serving_workers

bind = serving_bind(os.environ)
workers = serving_workers(os.environ)
preload_app = False

# A request that takes longer than this kills its worker (the slowest legitimate ones, the
# pilot report's PDF and the exports, take a few seconds).
timeout = 60
# On SIGTERM (a deploy, systemd stop) requests under way get this long to finish.
graceful_timeout = 30
# Idle seconds a keep-alive connection from the reverse proxy stays open.
keepalive = 5
# A worker is replaced after this many requests (spread by the jitter, so that they do not all
# restart at once): whatever memory a worker has gathered is given back.
max_requests = 2000
max_requests_jitter = 200

# The app logs each request itself (hubbar/observability.py: request id, user id, duration);
# gunicorn's own messages (start, worker restarts, timeouts) go to stderr.
accesslog = None
errorlog = "-"

# No control socket (gunicorn 25.1+): by default it is one path per user account
# (~/.gunicorn/gunicorn.ctl), which several instances on one host would share, and a service
# account may have no home. gunicorn's signals (HUP, TERM, TTIN, TTOU) still work.
control_socket_disable = True

# Workers' heartbeat files in memory, not on a disk that may stall (gunicorn's advice for
# containers and slow disks).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

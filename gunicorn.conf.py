"""gunicorn's settings for hubbar: ``gunicorn -c gunicorn.conf.py wsgi:app`` (what `make serve`
runs). HUBBAR_WORKERS and HUBBAR_BIND choose the workers and the address; the rest is fixed here.

No preload: each worker imports wsgi.py and builds its own app, so that no database connection
(nor the scheduler's thread) is made before the fork and shared by several processes.

This file imports nothing from hubbar (nor Flask): it runs in gunicorn's master, and a module the
master has imported is inherited by every worker it forks. After a code upgrade, a reload (HUP)
forks new workers from the same master; they import the new code only if the master never
imported the old one.
"""

import os

# Worker processes: by default 2 per CPU core + 1 (gunicorn's advice: while one worker waits
# for the database, another uses the core).
workers = int(os.environ.get("HUBBAR_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
# Where to listen: by default only this machine (behind a reverse proxy on the same host).
bind = os.environ.get("HUBBAR_BIND") or "127.0.0.1:8000"
preload_app = False

# A request that takes longer than this kills its worker (the slowest legitimate ones, the
# pilot report's PDF and the exports, take a few seconds).
timeout = 60
# On SIGTERM (a deploy, systemd stop) requests under way get this long to finish.
graceful_timeout = 30
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

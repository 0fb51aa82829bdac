"""gunicorn for the web process: `gunicorn -c deploy/gunicorn.conf.py isvportal.wsgi`.

gthread workers keep connections alive (WeCom and browsers reuse them); the web process is
stateless, so scale out with more processes or machines behind the proxy."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
keepalive = 30
timeout = 30  # WeCom drops a callback after 5 s; nothing here should take 30
graceful_timeout = 20
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(D)sus'  # path without the query string

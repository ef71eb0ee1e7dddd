"""gunicorn settings read when it starts in this folder (``gunicorn wsgi:app``): each worker
loads the lookups' membership index before it takes its first request."""


def post_worker_init(worker):
    from portal.api import warm_up

    warm_up(worker.wsgi)


def child_exit(server, worker):
    """With the metrics of several processes (``PROMETHEUS_MULTIPROC_DIR``), drop a dead
    worker's live gauges (its counters stay in the sums)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

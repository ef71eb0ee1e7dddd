"""gunicorn settings read when it starts in this folder (``gunicorn wsgi:app``): each worker
loads the lookups' membership index before it takes its first request."""


def post_worker_init(worker):
    from portal.api import warm_up

    warm_up(worker.wsgi)

"""A try-on job's life, one module per part, imported one way:

    submit.py    submitting (limits, priorities, pages) and starting a try-on from a product
    state.py     every transition (queued, claimed, stage, heartbeat, done, failed, retried, swept),
                 each published to the owner's browsers
    messages.py  the job payload and the send to the owner's channel-layer group
    dispatch.py  handing a job to a worker (sends only; the in-process host registers with it)
    runner.py    running a claimed job with an engine
    hosts.py     the in-process worker thread (Celery tasks are `tryon.tasks`)

views and API → submit → state, dispatch; hosts and tasks → runner → state, preparations, pipeline.
"""

# Accord's reference image (docs/deployment.md): one image for every process; compose.yaml
# picks the command (`accord serve`, `accord worker ...`, `accord db upgrade`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ACCORD_ENV=production \
    ACCORD_INSTANCE_DIR=/var/lib/accord \
    PROMETHEUS_MULTIPROC_DIR=/tmp/accord-metrics \
    # migrations/ and gunicorn.conf.py live beside the code in /app, not in the wheel:
    # the sources in /app are the ones imported (the installed copy brings the
    # dependencies and the `accord` command).
    PYTHONPATH=/app

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config.py wsgi.py gunicorn.conf.py ./
COPY app ./app
COPY governance ./governance
COPY models ./models
COPY rules ./rules
COPY migrations ./migrations
# The sources in /app are byte-compiled here: PYTHONDONTWRITEBYTECODE (and the read-only
# /app of the `accord` user) would otherwise make every process compile them again at
# start-up (0.35 s of each worker's `create_app`, 0.13 s of `accord evaluate`).
RUN pip install . \
    && python -m compileall -q /app \
    && useradd --system --uid 10001 --home-dir /var/lib/accord --create-home accord \
    && mkdir -p /tmp/accord-metrics && chown accord /tmp/accord-metrics

USER accord
EXPOSE 8000
ENTRYPOINT ["accord"]
CMD ["serve"]

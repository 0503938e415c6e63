# One image for web, Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# Exactly the locked releases, each checked against its hash (make lock regenerates it).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY digest digest
COPY accounts accounts
RUN pip install --no-deps --no-build-isolation .
# .dockerignore keeps .env, .git, .venv, var/ and caches out of this copy.
COPY . .
# Production settings load as they will at run time (whose refusals need these set; the
# values only serve this step).
RUN APP_ENV=production SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=build.invalid SITE_URL=https://build.invalid REDIS_URL=redis://build.invalid:6379/0 \
    EMAIL_URL=smtp://build.invalid:587 \
    python manage.py collectstatic --no-input -v 0
RUN useradd --create-home app && mkdir -p /app/var/index && chown -R app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "digest.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

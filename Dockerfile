# One image for web, Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY digest digest
COPY accounts accounts
RUN pip install .
COPY . .
RUN APP_ENV=production SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v 0
RUN useradd --create-home app && mkdir -p /app/var/index && chown -R app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "digest.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

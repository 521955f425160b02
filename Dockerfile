# Hai Depok: one image for the web process, the Celery worker and Celery beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 haidepok
# The permit letter's PDF (WeasyPrint) lays out its text with Pango, in the DejaVu fonts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY haidepok ./haidepok
COPY accounts ./accounts
COPY communities ./communities
COPY facilities ./facilities
COPY bookings ./bookings
COPY payments ./payments
COPY documents ./documents
COPY permits ./permits
RUN pip install .

COPY . .
# Static files are collected and the catalogues compiled at build time; a throwaway key is
# enough for these commands, the real one comes from the environment at run time.
RUN python manage.py compile_translations \
 && DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
 && mkdir -p /app/media /app/private-media && chown -R haidepok /app/media /app/private-media

USER haidepok
EXPOSE 8000
CMD ["gunicorn", "haidepok.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

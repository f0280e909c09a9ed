# The hosted WSGI app (APP_MODULE) under waitress (or gunicorn on Linux: APP_SERVER), for Linux and Windows alike.
#   Linux:   docker build -f Dockerfile.app .
#   Windows: docker build -f Dockerfile.app --build-arg BASE_IMAGE=python:3.13-windowsservercore-ltsc2022 --build-arg RUN_AS=ContainerUser .
#   Offline: add --build-arg PIP_NO_INDEX=1 after filling wheelhouse/ (scripts/wheelhouse).
# Only exec-form RUN and forward slashes, so the same lines work under /bin/sh and cmd, and with
# the docker SDK's classic builder (no BuildKit syntax).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# pip reads these from the environment: PIP_NO_INDEX=1 installs from wheelhouse/ only.
ARG PIP_NO_INDEX=0
ARG PIP_FIND_LINKS=/wheelhouse
# A numeric user needs no passwd entry on Linux; Windows images pass ContainerUser.
ARG RUN_AS=10001
# The hosted app's package folder (APP_SOURCE_DIR in .env.example); the seed app is in app/.
ARG APP_SOURCE_DIR=app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv
COPY requirements/app.txt requirements/app.txt
COPY wheelhouse /wheelhouse
RUN ["python", "-m", "pip", "install", "--no-cache-dir", "--no-compile", "-r", "requirements/app.txt"]

# The hosting layer (with the seed app), and the hosted app's own package: only what it runs.
COPY app app
COPY iisformat iisformat
COPY ${APP_SOURCE_DIR} ${APP_SOURCE_DIR}
# Windows: let docker stop's grace period, not Windows' 5 s default, bound the app's drain (as the
# build's administrator; nothing to do on Linux).
RUN ["python", "-m", "app.server.stop_timeouts"]

USER ${RUN_AS}
# Its start period, and the faster polling while starting, are set in the compose files.
HEALTHCHECK --interval=5s --timeout=5s --retries=3 CMD ["python", "-m", "app.server.healthcheck"]
CMD ["python", "-m", "app.server"]

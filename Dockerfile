# One image for every service; the Deployment's args pick the service (python -m services.X,
# or `billing migrate X` in the init container). Runtime dependencies only, installed from
# requirements.lock with their hashes; the generated protobuf code is made in the build stage.
#
# BASE_IMAGE is pinned by digest (a Python 3.11 on Debian bookworm); `make image` passes it.
ARG BASE_IMAGE=docker.io/library/python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# Invoices print names in their own script with Noto fonts; the image keeps only those it uses.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock requirements-dev.lock ./
# The tools that generate code (grpcio-tools, mypy-protobuf) stay in this stage.
RUN python -m venv /opt/tools \
    && /opt/tools/bin/pip install --require-hashes -r requirements-dev.lock \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml ./
COPY protos protos
COPY scripts scripts
COPY services services
COPY pricing pricing
RUN /opt/tools/bin/python scripts/vendor_google_api.py protos/third_party \
    && /opt/tools/bin/python scripts/generate.py --protos protos --out /opt/gen \
    && find /opt/gen -name '*.pyi' -delete \
    && /opt/venv/bin/pip install --no-deps . \
    && /opt/venv/bin/python scripts/invoice_fonts.py /opt/fonts \
    && /opt/venv/bin/pip uninstall --yes setuptools pip

FROM ${BASE_IMAGE}
ARG BASE_IMAGE
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="billing-suite" \
      org.opencontainers.image.description="Billing for WhatsApp Business messaging: metering, wallet, invoicing, notifications, gateway" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin billing
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/gen /opt/gen
COPY --from=build /opt/fonts /usr/share/fonts/truetype/noto
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/opt/gen PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    BILLING_DATA_DIR=/tmp/data
USER 10001
EXPOSE 50051 50052 50053 50054 50062 8080 9464
CMD ["python", "-m", "services.gateway"]

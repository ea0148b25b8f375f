# One image for every service; the Deployment's args pick the service.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml ./
COPY protos protos
COPY scripts scripts
COPY services services
COPY pricing pricing
RUN pip install --no-cache-dir '.[dev]' \
    && python scripts/vendor_google_api.py protos/third_party \
    && python scripts/generate.py --protos protos --out /opt/gen \
    && pip uninstall -y grpcio-tools mypy-protobuf mypy ruff schemathesis hypothesis pytest \
    && pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin billing
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/gen /opt/gen
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/opt/gen PYTHONDONTWRITEBYTECODE=1 BILLING_DATA_DIR=/tmp/data
USER 10001
EXPOSE 50051 50052 50053 8080
CMD ["python", "-m", "services.gateway"]

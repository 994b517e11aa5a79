# Image for the api, worker and migrate services of compose.yaml.
FROM python:3.11-slim
ENV UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv PATH=/app/.venv/bin:$PATH
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
COPY db ./db
RUN uv sync --locked --no-dev
EXPOSE 8000
CMD ["xpcore", "run", "--host", "0.0.0.0", "--port", "8000"]

.PHONY: run test lint format

# Start the whole system with demo content (see README).
run:
	bash scripts/run.sh

# Lint, migrations check, OpenAPI validation and the pytest suite on PostgreSQL and Redis.
test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

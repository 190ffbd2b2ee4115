.PHONY: setup run test bench eval

setup:
	bash scripts/setup.sh

run: setup
	bash scripts/run.sh

test: setup
	bash scripts/test.sh

bench: setup
	bash scripts/bench.sh

eval: setup
	DUBSITE_SECRET_KEY=eval-only .venv/bin/python -m pytest -q -m eval -s -p no:cacheprovider tests

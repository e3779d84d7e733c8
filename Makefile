# Two commands for a fresh clone (see README):
#   make run   — set everything up, index the demo knowledge base, start the app with the demo model
#   make test  — set everything up with the test extras and run the whole test suite
.PHONY: run test deps lint screenshots bench

run:
	./installers/setup.sh run

test:
	./installers/setup.sh test

deps:
	./installers/setup.sh deps

lint:
	.venv/bin/ruff check . && .venv/bin/mypy

screenshots:
	# a throwaway data home: the command loads the demo documents and logbook into the home it is given
	QT_QPA_PLATFORM=offscreen .venv/bin/soumu-desk --home "$$(mktemp -d)" screenshots docs/screenshots --lang ja

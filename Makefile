# The two commands of the README:
#   make        installs the project and builds every default document from the shipped data
#   make test   installs the project with its test tools and runs the tests and checks
PYTHON ?= python3
SYSTEM_PACKAGES = libharfbuzz-subset0
# chromium: the proof page's and the live preview's tests open it in a headless browser.
TEST_SYSTEM_PACKAGES = $(SYSTEM_PACKAGES) chromium

.PHONY: all install install-test test
all: install
	$(PYTHON) generate.py build

install:
	scripts/install-system-packages $(SYSTEM_PACKAGES)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e .

install-test:
	scripts/install-system-packages $(TEST_SYSTEM_PACKAGES)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[test]'

test: install-test
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy
	$(PYTHON) -m pytest

# dlcauth — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
SDK_VENV := .venv-sdk
SDK_PYTHON := $(CURDIR)/$(SDK_VENV)/bin/python

.PHONY: demo test lint fmt build bench sdk-venv clean-venv

## Runs the main job on the embedded emulator: grant a fresh account, then re-run (compliant).
demo:
	@scripts/demo.sh

## Everything CI checks: formatting, clippy, and the whole test suite (incl. the official Python SDK against the emulator).
test: sdk-venv lint
	DLCAUTH_SDK_PYTHON=$(SDK_PYTHON) $(CARGO) test --workspace --locked

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

build:
	$(CARGO) build --workspace --release --locked

## Benchmarks (release build): signed GetRole throughput of the emulator, reported with two baselines
## (its trivial health route and a bare hyper server) measured in the same run, as ratios.
bench:
	$(CARGO) bench --locked -p acs-emulator --bench get_role

## The official Alibaba Cloud Python SDK, pinned, in a local venv (rebuilt when the requirements change).
sdk-venv: $(SDK_VENV)/.installed

$(SDK_VENV)/.installed: tests/sdk/requirements.txt
	rm -rf $(SDK_VENV)
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt
	touch $@

clean-venv:
	rm -rf $(SDK_VENV)

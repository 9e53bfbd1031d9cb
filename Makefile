# The two commands of the README:
#   make up     install what is missing, build, and run a cluster in the foreground
#   make test   install what is missing and run every test
DIR ?= $(CURDIR)/.kubeling
PORT ?= 6443
STORE ?= etcd

.PHONY: up test deps build bench

deps:
	@./scripts/install-deps.sh

build: deps
	cargo build --release

up: build
	./target/release/kubeling up --dir $(DIR) --port $(PORT) --store $(STORE)

test: deps
	cargo build --workspace --all-targets
	cargo test --workspace
	./target/debug/kubeling bench apiserver --quick
	./target/debug/kubeling bench scheduler --quick

bench: build
	./target/release/kubeling bench apiserver
	./target/release/kubeling bench scheduler

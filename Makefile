# RepRight: the two commands a newcomer needs are `make run` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
IMAGE ?= /usr/share/doc/opencv-doc/examples/data/messi5.jpg

.PHONY: all setup setup-test build run test ci clean

all: build

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The main job: find the person in a photo that a Debian package ships and print the landmarks.
run: build
	$(BUILD)/repright pose $(IMAGE)

# Everything CI runs: unit + media tests, sanitizer build, static checks, coverage.
test: setup-test
	scripts/test.sh

clean:
	rm -rf build build-*

# RepRight: the two commands a newcomer needs are `make run` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
IMAGE ?= /usr/share/doc/opencv-doc/examples/data/messi5.jpg
VIDEO ?= $(wildcard ../shared/media/videos/squat_side_BAD_heels_k_i002.mp4)

.PHONY: all setup setup-test build run test ci clean

all: build

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

PORT ?= 8080
DATA_DIR ?= repright-data

# The main job: the per-rep form report of a workout video (make run VIDEO=my_squats.mp4), then
# the RepRight server with the web app on http://127.0.0.1:$(PORT)/ until Ctrl-C (SERVE=0 skips it).
# Without a video at hand it shows the pose engine on a photo that a Debian package ships.
SERVE ?= 1
run: build
ifneq ($(strip $(VIDEO)),)
	$(BUILD)/repright analyze $(VIDEO)
else
	@echo "no VIDEO given (make run VIDEO=path/to/clip.mp4): showing the pose engine on $(IMAGE)"
	$(BUILD)/repright pose $(IMAGE)
endif
ifeq ($(SERVE),1)
	@echo "serving the web app and API on http://127.0.0.1:$(PORT)/ (data in $(DATA_DIR)/; Ctrl-C stops)"
	$(BUILD)/repright serve --port $(PORT) --data-dir $(DATA_DIR)
endif

# Everything CI runs: unit + media tests, sanitizer build, static checks, coverage.
test: setup-test
	scripts/test.sh

clean:
	rm -rf build build-*

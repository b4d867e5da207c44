# The kernel's build, run and test commands. See README.md.
#
#   make / make iso     build/kernel.elf, build/kernel-test.elf, the user programs and
#                       build/kernel.iso: one image for BIOS, 64-bit and 32-bit UEFI
#                       (CD or USB), with a menu entry for the kernel (running the
#                       demonstration programs) and one for its self-tests
#   make run            boot the ISO in QEMU, serial on this terminal (MEM=4M or MEM=128M),
#                       running the demonstration programs (EXEC=demo,ticker:3,ticker:5);
#                       says so if the machine reset or triple-faulted
#   make debug          QEMU waiting for GDB on a free port, GDB attached with the
#                       kernel's symbols, the kernel's serial output between GDB's lines
#   make test           formatting, clippy and rustdoc checks, host unit tests, then
#                       the in-kernel self-tests under QEMU
#   make bench          host benchmarks (built for i686) of the frame allocator, paging
#                       and the heap against its peers (the heap chart goes to
#                       build/bench/heap.svg), the boot time at 3 GiB against 128 MiB,
#                       and each target as met or NOT MET
#   make bench-docs     copy that chart into docs/bench/ (the one tracked change)
#   make soak           every host property test SOAK_CASES times (default 2000,
#                       about 10 minutes; scripts/soak.sh)
#   make fuzz           the libFuzzer targets in fuzz/, FUZZ_SECONDS each (default
#                       300; FUZZ_TARGET=heap|memmap|frames|bootinfo; scripts/fuzz.sh)
#   make clean
#
# Each first installs what is missing (scripts/ensure-deps.sh) and says so.

MEM ?= 128M
# The user programs the kernel starts (names of user/src/bin/*.rs; `name:arg`
# passes an argument). EXEC= boots the kernel alone.
EXEC ?= demo,ticker:3,ticker:5

# Building core/alloc for our own target needs unstable cargo flags; the
# build sets RUSTC_BOOTSTRAP=1 for them, so the user's shell does not have to.
# `cargo kernel-build` is an alias in .cargo/config.toml.
export RUSTC_BOOTSTRAP := 1
KERNEL_OUT := target/i686-kernel/release/kernel
# The user programs: every file in user/src/bin, built for i686 and put on
# every image as one boot module (an archive).
USER_PROGRAMS := $(basename $(notdir $(wildcard user/src/bin/*.rs)))
export PROGRAMS = $(addprefix build/user/,$(USER_PROGRAMS))
QEMU_ARGS := -m $(MEM) -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
# make run's image: the kernel, or the self-test kernel with KERNEL=build/kernel-test.elf
# and CMDLINE="selftest ..." (how make test checks the wrapper).
KERNEL ?= build/kernel.elf
CMDLINE ?= mem=$(MEM) exec=$(EXEC)
# No window where there is no display: the serial console shows everything.
ifeq ($(DISPLAY)$(WAYLAND_DISPLAY),)
QEMU_ARGS += -display none
endif

.PHONY: all iso run debug test bench bench-docs soak fuzz clean deps user FORCE

all: iso
iso: build/kernel.iso

deps:
	@scripts/ensure-deps.sh

# cargo decides whether anything changed; the copy keeps the file's date
# when the kernel is unchanged, so the ISO is rebuilt only when needed.
build/kernel.elf: deps FORCE
	@if [ -e $(KERNEL_OUT) ]; then echo "building the kernel for i686 ..."; \
	else echo "building the kernel for i686 (first time: a few minutes) ..."; fi
	@cargo kernel-build || { echo "the kernel did not build; run by hand: RUSTC_BOOTSTRAP=1 cargo kernel-build" >&2; exit 1; }
	@mkdir -p build
	@cmp -s $(KERNEL_OUT) $@ || cp $(KERNEL_OUT) $@

build/kernel-test.elf: deps FORCE
	@echo "building the self-test kernel for i686 ..."
	@cargo kernel-build --features selftest || { echo "the kernel did not build; run by hand: RUSTC_BOOTSTRAP=1 cargo kernel-build --features selftest" >&2; exit 1; }
	@mkdir -p build
	@cmp -s $(KERNEL_OUT) $@ || cp $(KERNEL_OUT) $@

# The user programs, each a static i686 ELF file.
user: deps
	@echo "building the user programs for i686 ..."
	@cargo user-build || { echo "the user programs did not build; run by hand: RUSTC_BOOTSTRAP=1 cargo user-build" >&2; exit 1; }
	@mkdir -p build/user
	@for p in $(USER_PROGRAMS); do cmp -s target/i686-kernel/release/$$p build/user/$$p || cp target/i686-kernel/release/$$p build/user/$$p; done

# The self-test kernel is built second: cargo's output path is shared.
build/kernel.iso: build/kernel.elf build/kernel-test.elf user scripts/mkiso.sh
	@MENU_CMDLINE="exec=$(EXEC)" scripts/mkiso.sh --menu build/kernel.elf build/kernel-test.elf $@
	@echo "built $@ (BIOS, 64-bit and 32-bit UEFI; menu: kernel, kernel self-tests)"

# scripts/run.sh says how the run ended: a reset or triple fault is an error.
run: $(KERNEL) user
	@scripts/mkiso.sh $(KERNEL) build/run.iso "$(CMDLINE)"
	@echo "booting with $(MEM) of RAM; quit with Ctrl-A X"
	@scripts/run.sh build/run.iso $(QEMU_ARGS) -serial mon:stdio

debug: build/kernel.elf user
	@scripts/mkiso.sh build/kernel.elf build/run.iso "mem=$(MEM) exec=$(EXEC)"
	@scripts/debug.sh build/kernel.elf build/run.iso $(QEMU_ARGS)

test: deps
	@scripts/test.sh

bench: deps
	@scripts/bench.sh

soak: deps
	@scripts/soak.sh

fuzz: deps
	@scripts/fuzz.sh

bench-docs:
	@test -e build/bench/heap.svg || { echo "no build/bench/heap.svg yet: run make bench first" >&2; exit 1; }
	cp build/bench/heap.svg docs/bench/heap.svg

clean:
	cargo clean
	rm -rf build fuzz/target

FORCE:

# The kernel's build, run and test commands. See README.md.
#
#   make / make iso     build/kernel.elf, build/kernel-test.elf and build/kernel.iso:
#                       one image for BIOS, 64-bit and 32-bit UEFI (CD or USB), with
#                       a menu entry for the kernel and one for its self-tests
#   make run            boot the ISO in QEMU, serial on this terminal (MEM=4M or MEM=128M);
#                       says so if the machine reset or triple-faulted
#   make debug          QEMU waiting for GDB on a free port, GDB attached with the
#                       kernel's symbols, the kernel's serial output between GDB's lines
#   make test           formatting, clippy and rustdoc checks, host unit tests, then
#                       the in-kernel self-tests under QEMU
#   make bench          host benchmarks of the frame allocator, paging and the heap
#                       (the heap chart goes to build/bench/heap.svg), and the boot
#                       time at 3 GiB against 128 MiB
#   make bench-docs     copy that chart into docs/bench/ (the one tracked change)
#   make soak           every host property test SOAK_CASES times (default 2000,
#                       about 25 minutes; scripts/soak.sh)
#   make fuzz           the libFuzzer targets in fuzz/, FUZZ_SECONDS each (default
#                       300; FUZZ_TARGET=heap|memmap|frames|bootinfo; scripts/fuzz.sh)
#   make clean
#
# Each first installs what is missing (scripts/ensure-deps.sh) and says so.

MEM ?= 128M

# Building core/alloc for our own target needs unstable cargo flags; the
# build sets RUSTC_BOOTSTRAP=1 for them, so the user's shell does not have to.
# `cargo kernel-build` is an alias in .cargo/config.toml.
export RUSTC_BOOTSTRAP := 1
KERNEL_OUT := target/i686-kernel/release/kernel
QEMU_ARGS := -m $(MEM) -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
# make run's image: the kernel, or the self-test kernel with KERNEL=build/kernel-test.elf
# and CMDLINE="selftest ..." (how make test checks the wrapper).
KERNEL ?= build/kernel.elf
CMDLINE ?= mem=$(MEM)
# No window where there is no display: the serial console shows everything.
ifeq ($(DISPLAY)$(WAYLAND_DISPLAY),)
QEMU_ARGS += -display none
endif

.PHONY: all iso run debug test bench bench-docs soak fuzz clean deps FORCE

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

# The self-test kernel is built second: cargo's output path is shared.
build/kernel.iso: build/kernel.elf build/kernel-test.elf scripts/mkiso.sh
	@scripts/mkiso.sh --menu build/kernel.elf build/kernel-test.elf $@
	@echo "built $@ (BIOS, 64-bit and 32-bit UEFI; menu: kernel, kernel self-tests)"

# scripts/run.sh says how the run ended: a reset or triple fault is an error.
run: $(KERNEL)
	@scripts/mkiso.sh $(KERNEL) build/run.iso "$(CMDLINE)"
	@echo "booting with $(MEM) of RAM; quit with Ctrl-A X"
	@scripts/run.sh build/run.iso $(QEMU_ARGS) -serial mon:stdio

debug: build/kernel.elf
	@scripts/mkiso.sh build/kernel.elf build/run.iso "mem=$(MEM)"
	@scripts/debug.sh build/kernel.elf build/run.iso $(QEMU_ARGS)

test: deps
	@scripts/test.sh

# Only the bench targets: the library's unit tests would otherwise be listed
# as "ignored" by the bench harness.
bench: deps
	@echo "building and running the host benchmarks (first time: a minute or two) ..."
	cargo bench -p mm --bench '*'
	scripts/boot-time.sh

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

# The kernel's build, run and test commands. See README.md.
#
#   make / make iso     build/kernel.elf and build/kernel.iso (bootable from CD or USB)
#   make run            boot the ISO in QEMU, serial on this terminal (MEM=4M or MEM=128M)
#   make debug          QEMU waiting for GDB, and GDB attached with the kernel's symbols
#   make test           host unit tests, then the in-kernel self-tests under QEMU
#   make bench          host benchmarks (i686) of the frame allocator, paging and the
#                       heap against its peers, ending with each target met or not
#   make clean

MEM ?= 128M

# Building core/alloc for our own target needs unstable cargo flags; the
# build sets RUSTC_BOOTSTRAP=1 for them, so the user's shell does not have to.
export RUSTC_BOOTSTRAP := 1
CARGO_KERNEL := cargo build --release -p kernel --target i686-kernel.json \
	-Zbuild-std=core,compiler_builtins,alloc -Zjson-target-spec
KERNEL_OUT := target/i686-kernel/release/kernel
QEMU_ARGS := -m $(MEM) -serial mon:stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
# No window where there is no display: the serial console shows everything.
ifeq ($(DISPLAY)$(WAYLAND_DISPLAY),)
QEMU_ARGS += -display none
endif

.PHONY: all iso run debug test bench clean deps FORCE

all: iso
iso: build/kernel.iso

deps:
	@scripts/ensure-deps.sh

# cargo decides whether anything changed; the copy keeps the file's date
# when the kernel is unchanged, so the ISO is rebuilt only when needed.
build/kernel.elf: deps FORCE
	@$(CARGO_KERNEL)
	@mkdir -p build
	@cmp -s $(KERNEL_OUT) $@ || cp $(KERNEL_OUT) $@

build/kernel.iso: build/kernel.elf scripts/mkiso.sh
	@scripts/mkiso.sh build/kernel.elf $@
	@echo "built $@"

run: build/kernel.elf
	@scripts/mkiso.sh build/kernel.elf build/run.iso "mem=$(MEM)"
	@echo "booting with $(MEM) of RAM; quit with Ctrl-A X"
	qemu-system-i386 -cdrom build/run.iso $(QEMU_ARGS)

debug: build/kernel.elf
	@scripts/mkiso.sh build/kernel.elf build/run.iso "mem=$(MEM)"
	@scripts/debug.sh build/run.iso $(QEMU_ARGS)

test: deps
	@scripts/test.sh

bench:
	@scripts/bench.sh

clean:
	cargo clean
	rm -rf build

FORCE:

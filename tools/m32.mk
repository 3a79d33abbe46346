# SPDX-License-Identifier: GPL-2.0
#
# -m32 builds (the compat selftests and their libraries) without Debian's
# gcc-multilib. A 32-bit program needs linux-libc-dev's <asm/...>, which
# gcc-multilib provides only as the link /usr/include/asm; and
# gcc-multilib conflicts with the arm64 cross-compiler the test rig also
# installs. make deps installs gcc-12-multilib alone, and the link is made
# here, under build/, for the rules that compile with $(M32_CFLAGS) and
# depend on $(M32_ASM) (order-only).

M32_INC := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))../build/m32-include)
M32_ASM := $(M32_INC)/asm
M32_CFLAGS := -m32 -isystem $(M32_INC)

$(M32_ASM):
	mkdir -p $(M32_INC)
	ln -sfn /usr/include/$(shell $(CC) -print-multiarch)/asm $@

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types and macros the shared parser uses, for the userspace
 * build (unit tests, fuzzer, benchmark).  Of libc the parser uses only what
 * the kernel has under the same name, memchr(); toupper() is inline here as
 * in the kernel (glibc's is a call), ASCII only: the kernel's also maps
 * Latin-1 letters, which never equal the ASCII letters the parser compares
 * with.
 */
#ifndef _SMTP_USERSPACE_SHIM_H
#define _SMTP_USERSPACE_SHIM_H

#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;

#define U32_MAX		UINT32_MAX
#ifndef ARRAY_SIZE	/* kselftest.h has its own */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define fallthrough	__attribute__((__fallthrough__))

static inline int smtp_toupper(int c)
{
	return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

#undef toupper
#define toupper(c)	smtp_toupper(c)
#define __ffs64(x)	((unsigned int)__builtin_ctzll(x))

static inline u64 get_unaligned_le64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* tests and the fuzzer stop at a parser bug the kernel only warns about */
#define WARN_ON_ONCE(x)	((x) ? abort(), 1 : 0)

#endif /* _SMTP_USERSPACE_SHIM_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types and macros the shared parser uses, for the userspace
 * build (unit tests, fuzzer, benchmark).  Nothing else from libc is used by
 * the parser: scanning is done by our own code, as in the kernel.
 */
#ifndef _SMTP_COMPAT_H
#define _SMTP_COMPAT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define fallthrough	__attribute__((__fallthrough__))
/* tests and the fuzzer stop at a parser bug the kernel only warns about */
#define WARN_ON_ONCE(x)	((x) ? abort(), 1 : 0)

#endif /* _SMTP_COMPAT_H */

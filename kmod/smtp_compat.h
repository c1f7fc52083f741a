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
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define fallthrough	__attribute__((__fallthrough__))

#endif /* _SMTP_COMPAT_H */

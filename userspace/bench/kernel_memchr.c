// SPDX-License-Identifier: GPL-2.0
/*
 * The parser's one call out: memchr().  x86-64 kernels have no assembly
 * memchr, so theirs is the generic byte loop; the benchmark's parser object
 * calls this one, which does the same (-Dmemchr=kernel_memchr), in place of
 * glibc's vectorised memchr.
 */
#include <stddef.h>

void *kernel_memchr(const void *s, int c, size_t n);

void *kernel_memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

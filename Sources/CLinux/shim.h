#ifndef CYGNET_CLINUX_SHIM_H
#define CYGNET_CLINUX_SHIM_H
// Linux calls that Swift's Glibc module does not export. Declared here under our own names (bound to the libc
// symbols with asm labels) instead of including <sys/xattr.h>: a second module that pulls in glibc's headers
// makes `struct stat` ambiguous to Swift.
#include <stddef.h>

extern long cygnet_llistxattr(const char *path, char *list, size_t size) __asm__("llistxattr");
extern long cygnet_lgetxattr(const char *path, const char *name, void *value, size_t size) __asm__("lgetxattr");
// An anonymous file in memory: where an object goes when the cache disk cannot take it.
extern int cygnet_memfd_create(const char *name, unsigned int flags) __asm__("memfd_create");
#endif

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

// Glibc declares these only with _GNU_SOURCE, which Swift's Glibc module is not built with.
extern int cygnet_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)
    __asm__("renameat2");
#define CYGNET_RENAME_NOREPLACE 1
extern long cygnet_copy_file_range(int fd_in, long long *off_in, int fd_out, long long *off_out, size_t len,
                                   unsigned int flags) __asm__("copy_file_range");

// Starts writing a range of a file to disk without waiting: an upload's final fdatasync then has little left to do.
extern int cygnet_sync_file_range(int fd, long long offset, long long nbytes, unsigned int flags)
    __asm__("sync_file_range");
#define CYGNET_SYNC_FILE_RANGE_WRITE 2
// Writes out everything of one file system and waits: the upload journal's checkpoint, off the request path.
extern int cygnet_syncfs(int fd) __asm__("syncfs");

// Writes that bypass the page cache (set with fcntl F_SETFL on an open file): big uploads go straight to the disk
// instead of being copied into memory the kernel must then reclaim.
#if defined(__aarch64__)
#define CYGNET_O_DIRECT 0200000
#else
#define CYGNET_O_DIRECT 040000
#endif

// An unnamed file in a folder (O_TMPFILE = __O_TMPFILE | O_DIRECTORY), linked into place once written: glibc
// defines the flag only under _GNU_SOURCE.
#if defined(__aarch64__)
#define CYGNET_O_TMPFILE 020040000
#else
#define CYGNET_O_TMPFILE 020200000
#endif
// linkat(fd, "", folder, name, AT_EMPTY_PATH) names an unnamed file by its descriptor (Linux >= 6.10 allows it to
// the process that opened the file; older kernels only with CAP_DAC_READ_SEARCH). Also _GNU_SOURCE only.
#define CYGNET_AT_EMPTY_PATH 0x1000

// glibc's malloc keeps an arena per thread that ever allocated; buffers filled on NIO's threads and freed on the
// file threads then sit in many half-empty arenas. Two arenas kept cygnet-storage's peak memory in the storage
// benchmark at 89 MiB instead of 115–145 MiB, at no measurable cost in speed.
extern int cygnet_mallopt(int param, int value) __asm__("mallopt");
#define CYGNET_M_ARENA_MAX -8

// The scheduling class of work nobody waits for (the MD5 of a big upload): it runs only on otherwise idle CPU.
#define CYGNET_SCHED_IDLE 5

// openat2(2) has no glibc wrapper in Debian 12. Storage resolves every client path with it, so the kernel refuses
// `..` and symlinks that would leave a user's space, even when the tree changes under us.
extern long syscall(long number, ...);
struct cygnet_open_how {
    unsigned long long flags;
    unsigned long long mode;
    unsigned long long resolve;
};
#define CYGNET_O_PATH 010000000
#define CYGNET_UTIME_OMIT 1073741822
#define CYGNET_RESOLVE_NO_XDEV 0x01
#define CYGNET_RESOLVE_NO_MAGICLINKS 0x02
#define CYGNET_RESOLVE_NO_SYMLINKS 0x04
#define CYGNET_RESOLVE_BENEATH 0x08
static inline int cygnet_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
                                 unsigned long long resolve) {
    struct cygnet_open_how how = {flags, mode, resolve};
    return (int)syscall(437 /* SYS_openat2, the same number on every architecture */, dirfd, path, &how, sizeof how);
}
#endif

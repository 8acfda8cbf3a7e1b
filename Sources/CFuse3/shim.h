#ifndef CYGNET_CFUSE3_SHIM_H
#define CYGNET_CFUSE3_SHIM_H
// The low-level API at the 3.12 level (Debian 12 ships libfuse 3.14).
#define FUSE_USE_VERSION 312
#include <stddef.h>
#include <fuse3/fuse_lowlevel.h>

// Replies to a read with `size` bytes at `offset` of the open file `fd`, without copying them through our
// memory: libfuse splices them from the file into /dev/fuse when the kernel allows, and reads them into a
// buffer otherwise. `FUSE_BUFVEC_INIT` is a macro, hence this helper.
static inline int cygnet_fuse_reply_file_range(fuse_req_t req, int fd, size_t size, off_t offset) {
    struct fuse_bufvec data = FUSE_BUFVEC_INIT(size);
    data.buf[0].flags = (enum fuse_buf_flags)(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    data.buf[0].fd = fd;
    data.buf[0].pos = offset;
    return fuse_reply_data(req, &data, FUSE_BUF_SPLICE_MOVE);
}

#endif

#ifndef CYGNET_CZLIB_SHIM_H
#define CYGNET_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit/inflateInit are macros over the *_ functions; Swift cannot call macros.
static inline int cygnet_deflate_init(z_streamp stream, int level) {
    return deflateInit(stream, level);
}
static inline int cygnet_inflate_init(z_streamp stream) {
    return inflateInit(stream);
}
#endif

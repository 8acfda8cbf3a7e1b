#ifndef CYGNET_CDEFLATE_SHIM_H
#define CYGNET_CDEFLATE_SHIM_H
// libdeflate inflates a whole buffer two to three times faster than zlib's streaming inflate (and checks the
// Adler-32 with SIMD); the mount uses it whenever the catalog gives an object's plain size.
#include <libdeflate.h>
#endif

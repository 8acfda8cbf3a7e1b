#ifndef CYGNET_CSQLITE3_SHIM_H
#define CYGNET_CSQLITE3_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift does not import.
static inline void (*cygnet_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
#endif

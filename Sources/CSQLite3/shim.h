#ifndef CYGNET_CSQLITE3_SHIM_H
#define CYGNET_CSQLITE3_SHIM_H
// The few libsqlite3 calls the catalogs and the cache index use, declared here under our own names and bound to
// the library's symbols with asm labels. Including <sqlite3.h> instead clashes with the newer copy of that header
// that sqlite-nio carries (same struct names, different fields) in any module that sees both.
#include <stdint.h>

typedef struct cygnet_sqlite3 cygnet_sqlite3;
typedef struct cygnet_sqlite3_stmt cygnet_sqlite3_stmt;
typedef void (*cygnet_sqlite3_destructor)(void *);

#define CYGNET_SQLITE_OK 0
#define CYGNET_SQLITE_ROW 100
#define CYGNET_SQLITE_DONE 101
#define CYGNET_SQLITE_NULL 5
#define CYGNET_SQLITE_OPEN_READONLY 0x00000001
#define CYGNET_SQLITE_OPEN_READWRITE 0x00000002
#define CYGNET_SQLITE_OPEN_CREATE 0x00000004
#define CYGNET_SQLITE_OPEN_NOMUTEX 0x00008000
#define CYGNET_SQLITE_PREPARE_PERSISTENT 0x01

extern int cygnet_sqlite3_open_v2(const char *path, cygnet_sqlite3 **db, int flags, const char *vfs)
    __asm__("sqlite3_open_v2");
extern int cygnet_sqlite3_close(cygnet_sqlite3 *db) __asm__("sqlite3_close");
extern int cygnet_sqlite3_close_v2(cygnet_sqlite3 *db) __asm__("sqlite3_close_v2");
extern const char *cygnet_sqlite3_errmsg(cygnet_sqlite3 *db) __asm__("sqlite3_errmsg");
extern int cygnet_sqlite3_exec(
    cygnet_sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *context,
    char **error) __asm__("sqlite3_exec");
extern void cygnet_sqlite3_free(void *pointer) __asm__("sqlite3_free");
extern int cygnet_sqlite3_prepare_v3(
    cygnet_sqlite3 *db, const char *sql, int length, unsigned int flags, cygnet_sqlite3_stmt **statement,
    const char **tail) __asm__("sqlite3_prepare_v3");
extern int cygnet_sqlite3_finalize(cygnet_sqlite3_stmt *statement) __asm__("sqlite3_finalize");
extern int cygnet_sqlite3_reset(cygnet_sqlite3_stmt *statement) __asm__("sqlite3_reset");
extern int cygnet_sqlite3_clear_bindings(cygnet_sqlite3_stmt *statement) __asm__("sqlite3_clear_bindings");
extern int cygnet_sqlite3_bind_null(cygnet_sqlite3_stmt *statement, int index) __asm__("sqlite3_bind_null");
extern int cygnet_sqlite3_bind_int64(cygnet_sqlite3_stmt *statement, int index, int64_t value)
    __asm__("sqlite3_bind_int64");
extern int cygnet_sqlite3_bind_text(
    cygnet_sqlite3_stmt *statement, int index, const char *text, int length, cygnet_sqlite3_destructor destructor)
    __asm__("sqlite3_bind_text");
extern int cygnet_sqlite3_bind_blob(
    cygnet_sqlite3_stmt *statement, int index, const void *blob, int length, cygnet_sqlite3_destructor destructor)
    __asm__("sqlite3_bind_blob");
extern int cygnet_sqlite3_step(cygnet_sqlite3_stmt *statement) __asm__("sqlite3_step");
extern int64_t cygnet_sqlite3_column_int64(cygnet_sqlite3_stmt *statement, int column)
    __asm__("sqlite3_column_int64");
extern int cygnet_sqlite3_column_type(cygnet_sqlite3_stmt *statement, int column) __asm__("sqlite3_column_type");
extern int cygnet_sqlite3_column_bytes(cygnet_sqlite3_stmt *statement, int column) __asm__("sqlite3_column_bytes");
extern const void *cygnet_sqlite3_column_blob(cygnet_sqlite3_stmt *statement, int column)
    __asm__("sqlite3_column_blob");

// SQLITE_TRANSIENT: "copy the value now" is the destructor value -1.
static inline cygnet_sqlite3_destructor cygnet_sqlite_transient(void) { return (cygnet_sqlite3_destructor)-1; }
#endif

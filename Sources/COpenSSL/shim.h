#ifndef CYGNET_COPENSSL_SHIM_H
#define CYGNET_COPENSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

// Macros and casts Swift does not import.
static inline long cygnet_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
#endif

/* mbedtls's configuration for the example TLS firmware (MBEDTLS_CONFIG_FILE):
 * a TLS 1.2 client and nothing else. One cipher suite,
 * ECDHE-ECDSA-AES128-GCM-SHA256 on P-256, which the test's broker
 * certificate (an ECDSA P-256 key signed by an ECDSA P-256 CA) allows;
 * X.509 parsing of PEM certificates for the compiled-in CA. mbedtls takes its
 * memory from a static pool the program hands to
 * mbedtls_memory_buffer_alloc_init, and its entropy from the source the
 * engine's device TLS glue adds (tinymqtt/device_tls.h). No file system, no
 * sockets, no time: the board has no calendar clock, so certificate validity
 * dates are not checked (MBEDTLS_HAVE_TIME_DATE is off). */
#ifndef FW_TLS_CONFIG_H
#define FW_TLS_CONFIG_H

/* platform: no libc heap, no file system, no operating system entropy */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS /* calloc and free only through the pool */
void semihost_exit(int code); /* firmware/mps2/semihost.h: ends the program */
#define MBEDTLS_PLATFORM_EXIT_MACRO semihost_exit /* the pool found itself corrupted */

/* the cipher suite and what it needs */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_MD_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_CIPHERSUITES MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256

/* random numbers */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* certificates */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C

/* TLS 1.2 client, records up to 4 KiB each way (the server is asked for no
 * more with the maximum fragment length extension) */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_IN_CONTENT_LEN 4096
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

#include "mbedtls/check_config.h"

#endif

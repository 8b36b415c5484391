/* The test's CA certificate (PEM, NUL-terminated), which the TLS image
 * trusts: generated into the build by firmware/net.cmake from the file
 * firmware/build made with firmware/mbedtls/make-test-certs. */
#ifndef FW_TEST_CA_H
#define FW_TEST_CA_H

extern const unsigned char fw_test_ca[];
extern const unsigned fw_test_ca_len; /* bytes, the NUL included */

#endif

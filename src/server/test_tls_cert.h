#ifndef AIAAS_SERVER_TEST_TLS_CERT_H_
#define AIAAS_SERVER_TEST_TLS_CERT_H_

// Test-only: a throwaway self-signed certificate for TLS tests.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace aiaas::server::test_tls {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertPtr = std::unique_ptr<X509, CertDeleter>;

// A new P-256 key.
inline KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256")); }

// A self-signed certificate for CN=localhost, valid for a day.
inline CertPtr SelfSigned(EVP_PKEY* key) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  X509_sign(cert.get(), key, EVP_sha256());
  return cert;
}

inline void WriteCert(const std::string& path, X509* cert) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  PEM_write_X509(file, cert);
  std::fclose(file);
}

// Encrypted with `passphrase` when it is not null.
inline void WriteKey(const std::string& path, EVP_PKEY* key, const char* passphrase) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  if (passphrase == nullptr) {
    PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_PrivateKey(file, key, EVP_aes_256_cbc(),
                         reinterpret_cast<const unsigned char*>(passphrase),
                         static_cast<int>(std::string(passphrase).size()), nullptr, nullptr);
  }
  std::fclose(file);
}

}  // namespace aiaas::server::test_tls

#endif  // AIAAS_SERVER_TEST_TLS_CERT_H_

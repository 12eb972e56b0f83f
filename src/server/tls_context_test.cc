#include "server/tls_context.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <boost/asio/ssl/context.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/test_tls_cert.h"
#include "storage/test_temp_dir.h"

namespace aiaas::server {
namespace {

using ::testing::HasSubstr;

using test_tls::CertPtr;
using test_tls::KeyPtr;
using test_tls::NewKey;
using test_tls::SelfSigned;

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = NewKey();
    ASSERT_NE(key_, nullptr);
    cert_ = SelfSigned(key_.get());
    cert_path_ = Path("cert.pem");
    key_path_ = Path("key.pem");
    WriteCert(cert_path_, cert_.get());
    WriteKey(key_path_, key_.get(), nullptr);
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  static void WriteCert(const std::string& path, X509* cert) { test_tls::WriteCert(path, cert); }

  // Encrypted with `passphrase` when it is not null.
  static void WriteKey(const std::string& path, EVP_PKEY* key, const char* passphrase) {
    test_tls::WriteKey(path, key, passphrase);
  }

  static void WriteText(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  storage::TestTempDir dir_;
  KeyPtr key_;
  CertPtr cert_;
  std::string cert_path_;
  std::string key_path_;
};

TEST_F(TlsContextTest, LoadsAMatchingPairWithTheProtocolPolicy) {
  auto context = TlsContext::Load({cert_path_, key_path_});
  ASSERT_TRUE(context.ok()) << context.status();
  SSL_CTX* ctx = (*context)->native().native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  const uint64_t options = SSL_CTX_get_options(ctx);
  EXPECT_NE(options & SSL_OP_NO_COMPRESSION, 0U);
  EXPECT_NE(options & SSL_OP_NO_RENEGOTIATION, 0U);
  // Every TLS 1.2 suite offered is forward-secret (ECDHE) and AEAD.
  SSL* ssl = SSL_new(ctx);
  ASSERT_NE(ssl, nullptr);
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get1_supported_ciphers(ssl);
  ASSERT_NE(ciphers, nullptr);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
    if (SSL_CIPHER_get_kx_nid(cipher) == NID_kx_any) continue;  // a TLS 1.3 suite
    SCOPED_TRACE(SSL_CIPHER_get_name(cipher));
    EXPECT_EQ(SSL_CIPHER_get_kx_nid(cipher), NID_kx_ecdhe);
    EXPECT_EQ(SSL_CIPHER_is_aead(cipher), 1);
  }
  sk_SSL_CIPHER_free(ciphers);
  SSL_free(ssl);
}

TEST_F(TlsContextTest, MissingCertFileNamesTheFlagAndPath) {
  auto context = TlsContext::Load({Path("nope.pem"), key_path_});
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(context.status().message(), HasSubstr("--tls-cert"));
  EXPECT_THAT(context.status().message(), HasSubstr("nope.pem"));
  EXPECT_THAT(context.status().message(), HasSubstr("No such file"));
}

TEST_F(TlsContextTest, MissingKeyFileNamesTheFlag) {
  auto context = TlsContext::Load({cert_path_, Path("nope.pem")});
  ASSERT_FALSE(context.ok());
  EXPECT_THAT(context.status().message(), HasSubstr("--tls-key"));
}

TEST_F(TlsContextTest, NotPemCertIsRefused) {
  WriteText(Path("garbage.pem"), "this is not a certificate\n");
  auto context = TlsContext::Load({Path("garbage.pem"), key_path_});
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(context.status().message(), HasSubstr("--tls-cert"));
  EXPECT_THAT(context.status().message(), HasSubstr("not a PEM certificate"));
}

TEST_F(TlsContextTest, SwappedFilesAreRefusedAtTheCert) {
  auto context = TlsContext::Load({key_path_, cert_path_});
  ASSERT_FALSE(context.ok());
  EXPECT_THAT(context.status().message(), HasSubstr("--tls-cert"));
}

TEST_F(TlsContextTest, NotPemKeyIsRefused) {
  WriteText(Path("garbage.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  auto context = TlsContext::Load({cert_path_, Path("garbage.key")});
  ASSERT_FALSE(context.ok());
  EXPECT_THAT(context.status().message(), HasSubstr("--tls-key"));
  EXPECT_THAT(context.status().message(), HasSubstr("not an unencrypted PEM private key"));
}

TEST_F(TlsContextTest, EncryptedKeyIsRefusedWithoutPrompting) {
  WriteKey(Path("encrypted.key"), key_.get(), "secret passphrase");
  auto context = TlsContext::Load({cert_path_, Path("encrypted.key")});
  ASSERT_FALSE(context.ok());
  EXPECT_THAT(context.status().message(), HasSubstr("--tls-key"));
}

TEST_F(TlsContextTest, KeyOfAnotherCertificateIsRefused) {
  KeyPtr other = NewKey();
  WriteKey(Path("other.key"), other.get(), nullptr);
  auto context = TlsContext::Load({cert_path_, Path("other.key")});
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(context.status().message(), HasSubstr("--tls-key"));
  EXPECT_THAT(context.status().message(), HasSubstr("is not the private key of the certificate"));
}

}  // namespace
}  // namespace aiaas::server

#pragma once
// SHA-256 (FIPS 180-4), streaming. Layer and image ids are sha256 digests (OCI image
// spec, "descriptor" and "diff_id"); Debian's libarchive exposes no hash API and the
// project takes no crypto library for this one use.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace stack::image {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lower-case hex of the digest; the object must not be updated afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

inline std::string sha256_hex(std::string_view s) {
  Sha256 h;
  h.update(s);
  return h.hex();
}

}  // namespace stack::image

#include "dbtopo/base/utf8.h"

namespace dbtopo::utf8 {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed sequence starting at text[i], or 0 when the
// bytes there are ill-formed; `*bad` then gets the length of the maximal
// ill-formed subpart to replace (at least 1).
std::size_t SequenceLength(std::string_view text, std::size_t i, std::size_t* bad) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  *bad = 1;
  if (b0 < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // Range of the second byte.
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;  // No overlong forms.
    if (b0 == 0xED) hi = 0x9F;  // No surrogates.
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // Nothing above U+10FFFF.
  } else {
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= text.size()) {
      *bad = k;
      return 0;
    }
    const unsigned char b = byte(i + k);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *bad = k;
      return 0;
    }
  }
  return need + 1;
}

}  // namespace

bool IsValid(std::string_view text) {
  for (std::size_t i = 0, bad = 0; i < text.size();) {
    const std::size_t n = SequenceLength(text, i, &bad);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t Sanitize(std::string& text) {
  if (IsValid(text)) return 0;
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t replaced = 0;
  for (std::size_t i = 0, bad = 0; i < text.size();) {
    const std::size_t n = SequenceLength(text, i, &bad);
    if (n > 0) {
      out.append(text, i, n);
      i += n;
    } else {
      out += kReplacement;
      ++replaced;
      i += bad;
    }
  }
  text = std::move(out);
  return replaced;
}

}  // namespace dbtopo::utf8

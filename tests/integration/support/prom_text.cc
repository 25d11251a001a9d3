#include "support/prom_text.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace dbtopo::testing {
namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

/// Cursor over one line; every Expect/Parse throws std::runtime_error.
class LineParser {
 public:
  LineParser(std::string_view line, int line_no) : line_(line), line_no_(line_no) {}

  Sample Parse() {
    Sample sample;
    sample.name = Name(/*metric=*/true);
    bool spaced = SkipSpaces();
    if (Peek() == '{') {
      ++pos_;
      SkipSpaces();
      while (Peek() != '}') {
        std::string key = Name(/*metric=*/false);
        SkipSpaces();
        Expect('=');
        SkipSpaces();
        std::string value = QuotedString();
        if (!sample.labels.emplace(key, value).second) Fail("duplicate label " + key);
        SkipSpaces();
        if (Peek() == ',') {
          ++pos_;
          SkipSpaces();
        } else if (Peek() != '}') {
          Fail("expected ',' or '}'");
        }
      }
      ++pos_;
      spaced = SkipSpaces();
    }
    if (!spaced) Fail("expected whitespace before the value");
    sample.value = Number();
    if (SkipSpaces() && pos_ < line_.size()) {
      Number();  // Optional timestamp; ignored.
      SkipSpaces();
    }
    if (pos_ != line_.size()) Fail("trailing characters");
    return sample;
  }

 private:
  char Peek() const { return pos_ < line_.size() ? line_[pos_] : '\0'; }

  bool SkipSpaces() {
    std::size_t start = pos_;
    while (pos_ < line_.size() && (line_[pos_] == ' ' || line_[pos_] == '\t')) ++pos_;
    return pos_ > start;
  }

  void Expect(char c) {
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  std::string Name(bool metric) {
    std::size_t start = pos_;
    if (!IsNameStart(Peek()) || (!metric && Peek() == ':')) Fail("expected a name");
    while (pos_ < line_.size() && IsNameChar(line_[pos_]) && (metric || line_[pos_] != ':')) {
      ++pos_;
    }
    return std::string(line_.substr(start, pos_ - start));
  }

  std::string QuotedString() {
    Expect('"');
    std::string out;
    while (true) {
      if (pos_ >= line_.size()) Fail("unterminated label value");
      char c = line_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= line_.size()) Fail("unterminated escape");
      char e = line_[pos_++];
      switch (e) {
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case 'n':
          out += '\n';
          break;
        default:
          Fail(std::string("unknown escape \\") + e);
      }
    }
  }

  double Number() {
    std::size_t start = pos_;
    while (pos_ < line_.size() && line_[pos_] != ' ' && line_[pos_] != '\t') ++pos_;
    std::string token(line_.substr(start, pos_ - start));
    if (token.empty()) Fail("expected a number");
    if (token == "+Inf" || token == "Inf") return std::numeric_limits<double>::infinity();
    if (token == "-Inf") return -std::numeric_limits<double>::infinity();
    if (token == "NaN") return std::numeric_limits<double>::quiet_NaN();
    char* end = nullptr;
    double value = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size()) Fail("bad number '" + token + "'");
    return value;
  }

  [[noreturn]] void Fail(const std::string& what) const {
    std::ostringstream msg;
    msg << "metrics line " << line_no_ << ", column " << pos_ + 1 << ": " << what << ": " << line_;
    throw std::runtime_error(msg.str());
  }

  std::string_view line_;
  int line_no_;
  std::size_t pos_ = 0;
};

std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string Sample::ToString() const {
  std::ostringstream out;
  out << name;
  if (!labels.empty()) {
    out << '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out << ',';
      first = false;
      out << k << "=\"" << Escape(v) << '"';
    }
    out << '}';
  }
  out << ' ' << value;
  return out.str();
}

bool LabelsMatch(const Labels& sample, const Labels& labels) {
  for (const auto& [k, v] : labels) {
    auto it = sample.find(k);
    if (it == sample.end()) {
      if (!v.empty()) return false;
    } else if (it->second != v) {
      return false;
    }
  }
  return true;
}

Metrics Metrics::Parse(std::string_view text) {
  Metrics metrics;
  metrics.text_ = std::string(text);
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    metrics.samples_.push_back(LineParser(line.substr(first), line_no).Parse());
  }
  return metrics;
}

std::vector<Sample> Metrics::Find(const std::string& name, const Labels& labels) const {
  std::vector<Sample> out;
  for (const auto& sample : samples_) {
    if (sample.name == name && LabelsMatch(sample.labels, labels)) out.push_back(sample);
  }
  return out;
}

bool Metrics::Has(const std::string& name, const Labels& labels) const {
  return Count(name, labels) > 0;
}

std::size_t Metrics::Count(const std::string& name, const Labels& labels) const {
  std::size_t n = 0;
  for (const auto& sample : samples_) {
    if (sample.name == name && LabelsMatch(sample.labels, labels)) ++n;
  }
  return n;
}

std::optional<double> Metrics::Value(const std::string& name, const Labels& labels) const {
  std::vector<Sample> found = Find(name, labels);
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    std::string msg = "ambiguous metric lookup " + name + ", matches:";
    for (const auto& s : found) msg += "\n  " + s.ToString();
    throw std::logic_error(msg);
  }
  return found.front().value;
}

bool Metrics::Is(const std::string& name, const Labels& labels, double value) const {
  std::vector<Sample> found = Find(name, labels);
  return found.size() == 1 && found.front().value == value;
}

std::string Metrics::Dump(const std::string& prefix) const {
  std::string out;
  for (const auto& sample : samples_) {
    if (sample.name.compare(0, prefix.size(), prefix) == 0) out += sample.ToString() + "\n";
  }
  return out;
}

std::set<std::string> Metrics::FindingKeys() const {
  std::set<std::string> out;
  for (const Sample& s : Find("dbtopo_finding")) {
    const auto pod = s.labels.find("pod");
    const std::string p = pod == s.labels.end() ? "" : pod->second;
    out.insert(s.labels.at("kind") + (p.empty() ? "" : "@" + p));
  }
  return out;
}

}  // namespace dbtopo::testing

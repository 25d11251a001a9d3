#include "kubernetes/label_selector.h"

#include <algorithm>
#include <cctype>

namespace dbtopo::kube {
namespace {

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// name: 1..63 of [A-Za-z0-9._-], alphanumeric at both ends.
bool IsQualifiedName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (!IsAlnum(name.front()) || !IsAlnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

// DNS-1123 subdomain: <= 253 of [a-z0-9.-], alphanumeric at both ends.
bool IsDnsSubdomain(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > 253) return false;
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(prefix.front()) || !lower_alnum(prefix.back())) return false;
  return std::all_of(prefix.begin(), prefix.end(),
                     [&](char c) { return lower_alnum(c) || c == '.' || c == '-'; });
}

// Characters that may appear in a key or value token.
bool IsTokenChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-' || c == '/'; }

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  // The requirements, or where and why the text is not a selector.
  Status Parse(std::vector<LabelRequirement>* out) {
    SkipSpace();
    if (AtEnd()) return {};  // Empty selector: everything.
    while (true) {
      LabelRequirement requirement;
      if (!ParseRequirement(&requirement)) break;
      out->push_back(std::move(requirement));
      SkipSpace();
      if (AtEnd()) return {};
      if (text_[pos_] != ',') {
        Fail(std::string("expected \",\" or end of selector, got \"") + text_[pos_] + "\"");
        break;
      }
      ++pos_;
      SkipSpace();
      if (AtEnd()) {
        Fail("expected a requirement after \",\"");
        break;
      }
    }
    return Error{error_};
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipSpace() {
    while (!AtEnd() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Fail(const std::string& message) {
    if (error_.empty()) error_ = "at column " + std::to_string(pos_ + 1) + ": " + message;
    return false;
  }
  std::string Token() {
    const std::size_t start = pos_;
    while (!AtEnd() && IsTokenChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool Key(std::string* key) {
    const std::size_t start = pos_;
    *key = Token();
    if (key->empty()) {
      if (AtEnd()) return Fail("expected a label key, got end of selector");
      return Fail(std::string("expected a label key, got \"") + text_[pos_] + "\"");
    }
    if (!IsValidLabelKey(*key)) {
      pos_ = start;
      return Fail("invalid label key \"" + *key + "\"");
    }
    return true;
  }
  bool Value(std::string* value) {
    SkipSpace();
    const std::size_t start = pos_;
    *value = Token();
    if (!IsValidLabelValue(*value)) {
      pos_ = start;
      return Fail("invalid label value \"" + *value + "\"");
    }
    return true;
  }
  bool ValueSet(std::vector<std::string>* values) {
    SkipSpace();
    if (AtEnd() || text_[pos_] != '(') return Fail("expected \"(\" to open the value set");
    ++pos_;
    while (true) {
      std::string value;
      if (!Value(&value)) return false;
      SkipSpace();
      if (value.empty() && !AtEnd() && text_[pos_] == ')' && values->empty()) {
        return Fail("the value set of in/notin cannot be empty");
      }
      values->push_back(value);
      if (AtEnd()) return Fail("expected \")\" to close the value set");
      if (text_[pos_] == ')') {
        ++pos_;
        return true;
      }
      if (text_[pos_] != ',') {
        return Fail(std::string("expected \",\" or \")\" in the value set, got \"") + text_[pos_] +
                    "\"");
      }
      ++pos_;
    }
  }
  bool ParseRequirement(LabelRequirement* r) {
    if (text_[pos_] == '!') {
      ++pos_;
      SkipSpace();
      r->op = LabelRequirement::Op::kDoesNotExist;
      return Key(&r->key);
    }
    if (!Key(&r->key)) return false;
    SkipSpace();
    if (AtEnd() || text_[pos_] == ',') {
      r->op = LabelRequirement::Op::kExists;
      return true;
    }
    const std::string rest = text_.substr(pos_);
    if (rest.starts_with("!=")) {
      pos_ += 2;
      r->op = LabelRequirement::Op::kNotEquals;
    } else if (rest.starts_with("==")) {
      pos_ += 2;
      r->op = LabelRequirement::Op::kEquals;
    } else if (rest.starts_with("=")) {
      pos_ += 1;
      r->op = LabelRequirement::Op::kEquals;
    } else if (rest.starts_with(">") || rest.starts_with("<")) {
      return Fail("operators > and < are not supported in label selectors");
    } else {
      const std::size_t start = pos_;
      const std::string word = Token();
      if (word == "in" || word == "notin") {
        r->op = word == "in" ? LabelRequirement::Op::kIn : LabelRequirement::Op::kNotIn;
        return ValueSet(&r->values);
      }
      pos_ = start;
      return Fail("expected =, ==, !=, in or notin after key \"" + r->key + "\"");
    }
    std::string value;
    if (!Value(&value)) return false;
    r->values.push_back(value);
    return true;
  }

  const std::string& text_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

bool IsValidLabelKey(const std::string& key) {
  const std::size_t slash = key.find('/');
  if (slash == std::string::npos) return IsQualifiedName(key);
  return IsDnsSubdomain(key.substr(0, slash)) && IsQualifiedName(key.substr(slash + 1));
}

bool IsValidLabelValue(const std::string& value) {
  return value.empty() || (IsQualifiedName(value));
}

bool LabelRequirement::Matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(key);
  const bool has = it != labels.end();
  auto in_values = [&] {
    return has && std::find(values.begin(), values.end(), it->second) != values.end();
  };
  switch (op) {
    case Op::kExists:
      return has;
    case Op::kDoesNotExist:
      return !has;
    case Op::kEquals:
    case Op::kIn:
      return in_values();
    case Op::kNotEquals:
    case Op::kNotIn:
      // Kubernetes: a pod without the label satisfies `key!=v` and `key notin (...)`.
      return !in_values();
  }
  return false;
}

Result<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector selector;
  Parser parser(text);
  if (Status parsed = parser.Parse(&selector.requirements_); !parsed) return parsed.error();
  return selector;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const LabelRequirement& r) { return r.Matches(labels); });
}

std::string LabelSelector::ToString() const {
  std::string out;
  for (const LabelRequirement& r : requirements_) {
    if (!out.empty()) out += ',';
    switch (r.op) {
      case LabelRequirement::Op::kExists:
        out += r.key;
        break;
      case LabelRequirement::Op::kDoesNotExist:
        out += "!" + r.key;
        break;
      case LabelRequirement::Op::kEquals:
        out += r.key + "=" + r.values.at(0);
        break;
      case LabelRequirement::Op::kNotEquals:
        out += r.key + "!=" + r.values.at(0);
        break;
      case LabelRequirement::Op::kIn:
      case LabelRequirement::Op::kNotIn: {
        out += r.key + (r.op == LabelRequirement::Op::kIn ? " in (" : " notin (");
        for (std::size_t i = 0; i < r.values.size(); ++i) {
          if (i > 0) out += ',';
          out += r.values[i];
        }
        out += ')';
        break;
      }
    }
  }
  return out;
}

}  // namespace dbtopo::kube

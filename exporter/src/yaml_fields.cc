#include "yaml_fields.h"

namespace dbtopo::yaml {

int LineOf(const YAML::Node& node) {
  try {
    const YAML::Mark mark = node.Mark();
    return mark.line >= 0 ? mark.line + 1 : 0;
  } catch (const YAML::Exception&) {
    return 0;
  }
}

void Fail(const YAML::Node& node, const std::string& key, const std::string& message) {
  throw YamlInvalid{LineOf(node), key, message};
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string ScalarString(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) Fail(node, key, "must be a string");
  return node.Scalar();
}

std::string KeyString(const YAML::Node& key_node, const std::string& path) {
  if (!key_node.IsScalar()) Fail(key_node, path, "a key must be a plain string");
  return key_node.Scalar();
}

void CheckKeys(const YAML::Node& map, const std::string& path, const std::set<std::string>& known) {
  if (!map.IsMap()) Fail(map, path, "must be a mapping");
  for (const auto& entry : map) {
    const std::string key = KeyString(entry.first, path);
    if (!known.contains(key)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      Fail(entry.first, Join(path, key), "unknown key (known: " + list + ")");
    }
  }
}

void CheckDuplicateKeys(const YAML::Node& node, const std::string& path) {
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      CheckDuplicateKeys(node[i], path + "[" + std::to_string(i) + "]");
    }
  } else if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = KeyString(entry.first, path);
      if (!seen.insert(key).second) {
        Fail(entry.first, Join(path, key), "duplicate key (it is already set above)");
      }
      CheckDuplicateKeys(entry.second, Join(path, key));
    }
  }
}

YAML::Node Parse(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw YamlInvalid{e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "invalid YAML: " + e.msg};
  }
  CheckDuplicateKeys(root, "");
  return root;
}

}  // namespace dbtopo::yaml

#pragma once

// deploy/ manifests as YAML documents, for the manifest tests.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace dbtopo {

namespace fs = std::filesystem;

inline const fs::path kDeploy = fs::path(DBTOPO_SOURCE_DIR) / "deploy";

struct Doc {
  std::string file;
  int index = 0;
  YAML::Node node;

  std::string Where() const { return file + " document " + std::to_string(index); }
  std::string Kind() const { return node["kind"].as<std::string>(""); }
  std::string Name() const { return node["metadata"]["name"].as<std::string>(""); }
};

inline std::vector<Doc> LoadAll(const fs::path& dir) {
  std::vector<Doc> docs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".yaml" || name == "kustomization.yaml") continue;
    std::vector<YAML::Node> nodes;
    try {
      nodes = YAML::LoadAllFromFile(entry.path().string());
    } catch (const YAML::Exception& e) {
      ADD_FAILURE() << name << ": " << e.what();
      continue;
    }
    int index = 0;
    for (const YAML::Node& node : nodes) {
      if (node.IsNull()) continue;  // Empty document (leading ---).
      docs.push_back({name, index++, node});
    }
  }
  return docs;
}

inline const Doc* Find(const std::vector<Doc>& docs, const std::string& kind,
                       const std::string& name) {
  for (const Doc& d : docs) {
    if (d.Kind() == kind && d.Name() == name) return &d;
  }
  return nullptr;
}

inline std::map<std::string, std::string> StringMap(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  if (!node || !node.IsMap()) return out;
  for (const auto& kv : node) out[kv.first.as<std::string>()] = kv.second.as<std::string>("");
  return out;
}

inline bool IsSubset(const std::map<std::string, std::string>& sub,
                     const std::map<std::string, std::string>& super) {
  for (const auto& [k, v] : sub) {
    auto it = super.find(k);
    if (it == super.end() || it->second != v) return false;
  }
  return !sub.empty();
}

}  // namespace dbtopo

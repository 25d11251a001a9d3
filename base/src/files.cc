#include "dbtopo/base/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dbtopo {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read " + path + ": " + std::strerror(errno)};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace dbtopo

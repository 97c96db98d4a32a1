#include "model/core/errno.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace unpop::err {
namespace {
struct Name { int v; const char* s; };
constexpr Name kNames[] = {{0, "0"},          {-enoent, "-ENOENT"}, {-enxio, "-ENXIO"},
                           {-enomem, "-ENOMEM"}, {-efault, "-EFAULT"}, {-ebusy, "-EBUSY"},
                           {-enodev, "-ENODEV"}, {-einval, "-EINVAL"}};
}  // namespace

const char* name(int ret) {
  for (const auto& n : kNames)
    if (n.v == ret) return n.s;
  thread_local std::string buf;
  buf = std::to_string(ret);
  return buf.c_str();
}

bool parse(const char* s, int& ret) {
  for (const auto& n : kNames)
    if (std::strcmp(n.s, s) == 0 || (n.v != 0 && std::strcmp(n.s + 1, s) == 0)) {
      ret = n.v;
      return true;
    }
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0') return false;
  ret = static_cast<int>(v);
  return true;
}
}  // namespace unpop::err

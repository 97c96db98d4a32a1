#include "conform/harness/builds.h"

#include <algorithm>

#include "builds.inc"
#include "kapi.h"

#define KBUILD_DECLARE(ver, arch, sym) extern "C" const struct kapi sym;
KERNEL_BUILDS(KBUILD_DECLARE)

namespace unpop::conform {

std::string KernelBuild::name() const { return kernel + "/" + to_string(arch); }

const std::vector<KernelBuild>& kernel_builds() {
#define KBUILD_ENTRY(ver, arch, sym) \
  KernelBuild{ver, std::string(arch) == "arm64" ? Arch::arm64 : Arch::x86_64, &sym},
  static const std::vector<KernelBuild> builds{KERNEL_BUILDS(KBUILD_ENTRY)};
  return builds;
}

const std::vector<MissingKernel>& missing_kernels() {
  static const std::vector<MissingKernel> missing{KERNELS_MISSING};
  return missing;
}

std::vector<std::string> configured_kernels() {
  std::vector<std::string> out;
  for (const auto& b : kernel_builds())
    if (std::find(out.begin(), out.end(), b.kernel) == out.end()) out.push_back(b.kernel);
  for (const auto& m : missing_kernels())
    if (std::find(out.begin(), out.end(), m.kernel) == out.end()) out.push_back(m.kernel);
  return out;
}

}  // namespace unpop::conform

#include "conform/harness/builds.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "builds.inc"
#include "kapi.h"
#include "model/variants/registry.h"

#define KBUILD_DECLARE(ver, arch, patched, sym) extern "C" const struct kapi sym;
KERNEL_BUILDS(KBUILD_DECLARE)
#define KSEEDED_DECLARE(ver, name, sym) extern "C" const struct kapi sym;
KERNEL_SEEDED(KSEEDED_DECLARE)

namespace unpop::conform {

std::string KernelBuild::label() const {
  if (!patched) return kernel;
  const VariantInfo* v = kernel_patches_variant();
  return kernel + "+" + (v ? v->name : std::string("patches"));
}

std::string KernelBuild::name() const {
  return label() + "/" + to_string(arch) + (seeded.empty() ? "" : " (seeded: " + seeded + ")");
}

const std::vector<KernelBuild>& kernel_builds() {
#define KBUILD_ENTRY(ver, arch, patched, sym) \
  KernelBuild{ver, std::string(arch) == "arm64" ? Arch::arm64 : Arch::x86_64, &sym, patched, ""},
  static const std::vector<KernelBuild> builds{KERNEL_BUILDS(KBUILD_ENTRY)};
  return builds;
}

const std::vector<KernelBuild>& seeded_builds() {
#define KSEEDED_ENTRY(ver, name, sym) KernelBuild{ver, Arch::arm64, &sym, true, name},
  static const std::vector<KernelBuild> builds{KERNEL_SEEDED(KSEEDED_ENTRY)};
  return builds;
}

const std::vector<MissingKernel>& missing_kernels() {
  static const std::vector<MissingKernel> missing{KERNELS_MISSING};
  return missing;
}

Series read_series(const std::string& dir, std::string& what) {
  Series out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".patch") continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    out.emplace_back(e.path().filename().string(), s.str());
  }
  if (ec) what = dir + ": " + ec.message();
  std::sort(out.begin(), out.end());
  return out;
}

Series applied_series(std::string& what) {
  if (std::string(KERNEL_PATCHED_DIR).empty()) return {};
  return read_series((std::filesystem::path(KERNEL_PATCHED_DIR) / "patches").string(), what);
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

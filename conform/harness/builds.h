#pragma once
/// The user-space builds of the kernel's files linked into this binary (conform/CMakeLists.txt):
/// one per installed linux-source package and arch init.
#include <string>
#include <vector>

#include "model/core/geometry.h"

struct kapi;

namespace unpop::conform {

struct KernelBuild {
  std::string kernel;  // "6.12"
  Arch arch;           // whose arch_xen_unpopulated_init is linked
  const kapi* api;
  /// kernel/patches applied to unpopulated-alloc.c (compared with the variant registered as
  /// VariantInfo::kernel_patches), else mainline's file.
  bool patched = false;
  std::string seeded;  // a bug of kernel/seeded applied after the series (tests only), or ""
  std::string label() const;  // "6.12", or "6.12+" the patched variant's name
  std::string name() const;   // label() + "/arm64"
};

struct MissingKernel {
  std::string kernel;   // "6.1"
  std::string package;  // "linux-source-6.1"
};

const std::vector<KernelBuild>& kernel_builds();
/// The patched build with one seeded bug of kernel/seeded each: what the comparison must catch.
const std::vector<KernelBuild>& seeded_builds();
/// Kernels the build looked for but whose source package was not installed.
const std::vector<MissingKernel>& missing_kernels();
/// A patch series: (file name, contents) of each *.patch, sorted by name.
using Series = std::vector<std::pair<std::string, std::string>>;
/// The *.patch files of `dir`; `what` says why it could not be read, if it could not.
Series read_series(const std::string& dir, std::string& what);
/// The series (kernel/patches) this binary's patched builds were made from, as applied (a copy
/// taken at build time); empty when there is no patched build.
Series applied_series(std::string& what);
/// Every kernel version the build was configured for (built or missing), newest first.
std::vector<std::string> configured_kernels();

}  // namespace unpop::conform

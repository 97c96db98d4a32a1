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
  std::string name() const;  // "6.12/arm64"
};

struct MissingKernel {
  std::string kernel;   // "6.1"
  std::string package;  // "linux-source-6.1"
};

const std::vector<KernelBuild>& kernel_builds();
/// Kernels the build looked for but whose source package was not installed.
const std::vector<MissingKernel>& missing_kernels();
/// Every kernel version the build was configured for (built or missing), newest first.
std::vector<std::string> configured_kernels();

}  // namespace unpop::conform

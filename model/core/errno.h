#pragma once
/// The Linux errno values the model returns (negated, as the kernel does: -ENOMEM == -12).
namespace unpop::err {
inline constexpr int OK = 0;
inline constexpr int ENOENT = 2;
inline constexpr int ENXIO = 6;
inline constexpr int ENOMEM = 12;
inline constexpr int EFAULT = 14;
inline constexpr int EBUSY = 16;
inline constexpr int ENODEV = 19;
inline constexpr int EINVAL = 22;

/// "-ENOMEM" for -12, "0" for 0, "-123" for anything unknown.
const char* name(int ret);
/// Inverse of name(): accepts "-ENOMEM", "ENOMEM", "-12", "0". Returns false if unknown.
bool parse(const char* s, int& ret);
}  // namespace unpop::err

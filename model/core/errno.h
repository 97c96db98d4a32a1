#pragma once
/// The Linux errno values the model returns (negated, as the kernel does: -ENOMEM == -12).
namespace unpop::err {
inline constexpr int OK = 0;
inline constexpr int enoent = 2;
inline constexpr int enxio = 6;
inline constexpr int enomem = 12;
inline constexpr int efault = 14;
inline constexpr int ebusy = 16;
inline constexpr int enodev = 19;
inline constexpr int einval = 22;

/// "-ENOMEM" for -12, "0" for 0, "-123" for anything unknown.
const char* name(int ret);
/// Inverse of name(): accepts "-ENOMEM", "ENOMEM", "-12", "0". Returns false if unknown.
bool parse(const char* s, int& ret);
}  // namespace unpop::err

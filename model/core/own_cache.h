#pragma once
/// A cache of pointers or iterators into the object that holds it (the last block or allocation
/// a lookup found). Copied with that object it would point into the original, so a copy starts
/// with a fresh, empty one (T's default); the copied object finds its own on the next lookup.
namespace unpop {

template <class T>
struct OwnCache : T {
  OwnCache() = default;
  OwnCache(const OwnCache&) : T{} {}
  OwnCache& operator=(const OwnCache&) = delete;
};

}  // namespace unpop

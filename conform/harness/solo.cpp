#include "conform/harness/solo.h"

#include <fmt/format.h>
#include <rapidcheck.h>

#include "kapi.h"
#include "properties/gen.h"

namespace unpop::conform {

using props::coin;
using props::pick;
using props::pick_weighted;

std::string SoloBase::script() const {
  std::string s;
  for (const auto& l : script_) s += l + "\n";
  return s;
}

bool SoloBase::same(const std::string& what, const std::string& model, const std::string& kernel) {
  if (!failure_.empty()) return false;
  if (model == kernel) {
    ++comparisons_;
    return true;
  }
  failure_ = fmt::format("{} differs after `{}`\n  model: {}\n  linux: {}\n  ops:\n{}", what,
                         script_.empty() ? "start" : script_.back(), model, kernel, script());
  if (const char* log = k_->log(); log && *log) failure_ += fmt::format("  kernel log:\n    {}", log);
  return false;
}

// ---- lib/genalloc.c ---------------------------------------------------------------------------

namespace {
constexpr int kOrder = 12;  // gen_pool_create(PAGE_SHIFT, ...) at 4K: one bit per page
unsigned long to_addr(Pfn p) { return static_cast<unsigned long>(p) << kOrder; }
}  // namespace

GenallocSolo::GenallocSolo(const kapi* k, Mutant) : SoloBase(k) {
  if (k_->gp_create(kOrder) != 0) throw std::runtime_error("gen_pool_create failed");
}

bool GenallocSolo::compare_pool() {
  std::string m = fmt::format("avail {} size {}", model_.avail(), model_.size());
  std::string l = fmt::format("avail {} size {}", k_->gp_avail() >> kOrder, k_->gp_size() >> kOrder);
  std::vector<kapi_chunk> kc(model_.chunks().size() + 8);
  unsigned n = k_->gp_chunks(kc.data(), static_cast<unsigned>(kc.size()));
  for (const auto& c : model_.chunks()) {
    m += fmt::format("\n    chunk {:#x}-{:#x} avail {} busy", c.first, c.last(), c.avail);
    Pfn at = c.first;
    for (const auto& [start, len] : c.free) {  // busy = the gaps between free runs
      if (start > at) m += fmt::format(" {:#x}-{:#x}", at, start - 1);
      at = start + len;
    }
    if (at <= c.last()) m += fmt::format(" {:#x}-{:#x}", at, c.last());
  }
  for (unsigned i = 0; i < n && i < kc.size(); ++i) {
    l += fmt::format("\n    chunk {:#x}-{:#x} avail {} busy", kc[i].start >> kOrder, kc[i].end >> kOrder,
                     kc[i].avail >> kOrder);
    std::vector<kapi_range> busy(1024);
    unsigned b = k_->gp_busy(i, busy.data(), static_cast<unsigned>(busy.size()));
    for (unsigned j = 0; j < b && j < busy.size(); ++j)
      l += fmt::format(" {:#x}-{:#x}", busy[j].start >> kOrder, busy[j].end >> kOrder);
  }
  return same("the pool (gen_pool_avail, gen_pool_size, chunks newest first, allocated bits)", m, l);
}

void GenallocSolo::run() {
  const std::size_t n = pick(1, 40);
  for (std::size_t i = 0; i < n && !failed(); ++i) {
    ++ops_;
    std::size_t kind = pick_weighted({model_.chunks().empty() ? 6u : 2u, model_.chunks().empty() ? 0u : 6u,
                                      live_.empty() ? 0u : 5u, 1, 1});
    if (kind == 0) {  // gen_pool_add_virt: a chunk in fresh address space
      Pfn first = cursor_ + pick(0, 32);
      std::uint64_t pages = pick(1, 256);
      cursor_ = first + pages;
      log(fmt::format("gen_pool_add {:#x} {}", first, pages));
      model_.add_chunk(first, pages);
      same("gen_pool_add_virt() return", "0", fmt::format("{}", k_->gp_add(to_addr(first), to_addr(pages))));
    } else if (kind == 1) {  // gen_pool_alloc (best fit)
      std::uint64_t pages = coin() ? pick(1, 8) : pick(1, 300);
      log(fmt::format("gen_pool_alloc {}", pages));
      auto m = model_.alloc(pages);
      unsigned long a = k_->gp_alloc(to_addr(pages));
      if (same("gen_pool_alloc() address", m ? fmt::format("{:#x}", *m) : "0 (none)",
               a ? fmt::format("{:#x}", a >> kOrder) : "0 (none)") &&
          m)
        live_.push_back({*m, pages});
    } else if (kind == 2 || kind == 4) {  // gen_pool_free: a live allocation, or any range
      Pfn first;
      std::uint64_t pages;
      if (kind == 2) {
        std::size_t at = pick(0, live_.size() - 1);
        first = live_[at].first;
        pages = live_[at].second;
        live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(at));
      } else {
        first = pick(1, cursor_ + 8);
        pages = pick(1, 8);
      }
      log(fmt::format("gen_pool_free {:#x} {}", first, pages));
      bool model_bug = model_.free(first, pages) != GenPool::FreeResult::ok;
      bool kernel_bug = k_->gp_free(to_addr(first), to_addr(pages)) == KAPI_OOPS;
      if (!same("gen_pool_free() BUG()", model_bug ? "BUG" : "ok", kernel_bug ? "BUG" : "ok")) return;
      if (kernel_bug) return;  // the kernel is dead; a wrong free may have taken a live range
      if (kind == 4)            // a free of any range may have freed (part of) a live allocation
        std::erase_if(live_, [&](const auto& a) { return a.first < first + pages && first < a.first + a.second; });
    } else {  // gen_pool_has_addr
      Pfn first = pick(0, cursor_ + 8);
      std::uint64_t pages = pick(1, 16);
      log(fmt::format("gen_pool_has_addr {:#x} {}", first, pages));
      same("gen_pool_has_addr()", model_.has(first, pages) ? "true" : "false",
           k_->gp_has_addr(to_addr(first), to_addr(pages)) ? "true" : "false");
    }
    compare_pool();
  }
}

// ---- kernel/resource.c ------------------------------------------------------------------------

namespace {
constexpr Addr kRootEnd = 0xffff;
}

ResourceSolo::ResourceSolo(const kapi* k, Mutant m) : SoloBase(k), mutant_(m) {
  root_ = model_.make_root("root", Range{0, kRootEnd});
  k_->res_reset(0, kRootEnd);
}

bool ResourceSolo::compare_tree() {
  std::string m, l;
  auto walk = [&](auto&& self, ResId p, unsigned depth) -> void {
    for (ResId c : model_.children(p)) {
      const Range r = model_.get(c).range;
      m += fmt::format("\n    {:{}}{:#x}-{:#x}", "", 2 * depth, r.start, r.end);
      self(self, c, depth + 1);
    }
  };
  walk(walk, root_, 0);
  std::vector<kapi_res> buf(static_cast<std::size_t>(nodes_) + 1);
  unsigned n = k_->res_tree(buf.data(), static_cast<unsigned>(buf.size()));
  for (unsigned i = 0; i < n && i < buf.size(); ++i)
    l += fmt::format("\n    {:{}}{:#x}-{:#x}", "", 2 * buf[i].depth, buf[i].start, buf[i].end);
  return same("the tree under the root", m.empty() ? "(empty)" : m, l.empty() ? "(empty)" : l);
}

void ResourceSolo::run() {
  // Detached nodes are offered only without children: request/insert/allocate take a fresh
  // struct resource in every caller we model (a released one keeps its children, and inserting
  // it again is misuse: __insert_resource overwrites its child list and strands them).
  auto pick_node = [&](bool linked) -> ResId {
    std::vector<ResId> c;
    for (ResId id = 1; id < nodes_; ++id)
      if (model_.get(id).linked == linked && (linked || model_.get(id).children.empty())) c.push_back(id);
    return c.empty() ? kNoRes : c.at(pick(0, c.size() - 1));
  };
  auto pick_parent = [&]() -> ResId {
    ResId p = coin() ? pick_node(true) : kNoRes;
    return p == kNoRes ? root_ : p;
  };
  const std::size_t n = pick(1, 40);
  for (std::size_t i = 0; i < n && !failed(); ++i) {
    ++ops_;
    const bool any_detached = pick_node(false) != kNoRes, any_linked = pick_node(true) != kNoRes;
    std::size_t kind = pick_weighted({4, any_detached ? 5u : 0u, any_detached ? 3u : 0u, any_detached ? 4u : 0u,
                                      any_linked ? 2u : 0u});
    if (kind == 0) {  // a new struct resource with a range (kzalloc + fields)
      Addr start = pick(0, 255) * 0x100 + (coin() ? 0 : pick(0, 0xff));
      Addr end = start + pick(1, 64) * 0x100 - (coin() ? 1 : pick(0, 0x80) + 1);
      ResId id = model_.make("node", Range{start, end});
      int kid = k_->res_make(start, end);
      log(fmt::format("r{} = [{:#x}-{:#x}]", id, start, end));
      if (!same("node id", fmt::format("{}", id), fmt::format("{}", kid))) return;
      ++nodes_;
      continue;
    }
    if (kind == 4) {  // release_resource
      ResId node = pick_node(true);
      log(fmt::format("release_resource(r{})", node));
      model_.release(node);
      same("release_resource() return", "0", fmt::format("{}", k_->res_release(node)));
    } else {
      ResId parent = pick_parent(), node = pick_node(false);
      std::string pname = parent == root_ ? "root" : fmt::format("r{}", parent);
      int mret = 0, kret = 0;
      if (kind == 1) {
        log(fmt::format("request_resource({}, r{})", pname, node));
        mret = model_.request(parent, node);
        kret = k_->res_request(parent, node);
      } else if (kind == 2) {
        log(fmt::format("insert_resource({}, r{})", pname, node));
        mret = model_.insert(parent, node);
        kret = k_->res_insert(parent, node);
      } else {
        std::uint64_t size = pick(1, 32) * 0x100 - (coin() ? 0 : pick(0, 0xff));
        std::uint64_t align = std::uint64_t{1} << pick(0, 14);
        Addr min = coin() ? 0 : pick(0, kRootEnd), max = coin() ? kRootEnd : pick(min, kRootEnd);
        log(fmt::format("allocate_resource({}, r{}, size {:#x}, min {:#x}, max {:#x}, align {:#x})", pname, node, size,
                        min, max, align));
        mret = model_.allocate(parent, node, size, min, max, align, mutant_ == Mutant::overlapping_growth);
        kret = k_->res_allocate(parent, node, size, min, max, align);
        if (mret == 0 && kret == 0) {
          kapi_range kr = k_->res_get(node);
          Range mr = model_.get(node).range;
          same("the allocated range", fmt::format("{:#x}-{:#x}", mr.start, mr.end),
               fmt::format("{:#x}-{:#x}", kr.start, kr.end));
        }
      }
      same("return code", fmt::format("{}", mret), fmt::format("{}", kret));
    }
    compare_tree();
  }
}

}  // namespace unpop::conform

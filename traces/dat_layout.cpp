#include "traces/dat_layout.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace unpop::traces {

namespace {

class Source {
 public:
  virtual ~Source() = default;
  virtual std::uint64_t size() const = 0;
  /// Reads exactly n bytes at off; false if the file is shorter.
  virtual bool read(std::uint64_t off, void* dst, std::size_t n) const = 0;
};

class MemSource final : public Source {
 public:
  explicit MemSource(std::string_view d) : d_(d) {}
  std::uint64_t size() const override { return d_.size(); }
  bool read(std::uint64_t off, void* dst, std::size_t n) const override {
    if (off > d_.size() || n > d_.size() - off) return false;
    std::memcpy(dst, d_.data() + off, n);
    return true;
  }

 private:
  std::string_view d_;
};

class FileSource final : public Source {
 public:
  FileSource(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  std::uint64_t size() const override { return size_; }
  bool read(std::uint64_t off, void* dst, std::size_t n) const override {
    if (off > size_ || n > size_ - off) return false;
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
      ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(off));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      off += static_cast<std::uint64_t>(r);
      n -= static_cast<std::size_t>(r);
    }
    return true;
  }

 private:
  int fd_;
  std::uint64_t size_;
};

struct Walker {
  const Source& src;
  bool big = false;
  std::uint64_t pos = 0;
  std::string& expected;
  std::uint64_t& where;

  bool fail(std::string what) {
    expected = std::move(what);
    where = pos;
    return false;
  }
  bool uint(std::size_t n, std::uint64_t& v, const char* what) {
    unsigned char b[8];
    if (!src.read(pos, b, n)) return fail(std::string(what) + " (" + std::to_string(n) +
                                          " bytes): the file ends first (truncated)");
    v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t k = big ? i : n - 1 - i;
      v = (v << 8) | b[k];
    }
    pos += n;
    return true;
  }
  bool skip(std::uint64_t n, const char* what) {
    if (n > src.size() || pos > src.size() - n)
      return fail(std::string(what) + " of " + std::to_string(n) +
                  " bytes: the file ends first (truncated)");
    pos += n;
    return true;
  }
  bool literal(std::string_view lit, const char* what) {
    char b[32];
    if (lit.size() > sizeof b || !src.read(pos, b, lit.size()) ||
        std::memcmp(b, lit.data(), lit.size()) != 0)
      return fail(std::string(what));
    pos += lit.size();
    return true;
  }
  bool cstring(std::string& out, const char* what, std::size_t max = 256) {
    out.clear();
    char c;
    while (true) {
      if (!src.read(pos, &c, 1)) return fail(std::string(what) + ": the file ends first (truncated)");
      ++pos;
      if (c == '\0') return true;
      if (out.size() >= max) return fail(std::string(what) + " (NUL-terminated, at most " +
                                         std::to_string(max) + " bytes)");
      out.push_back(c);
    }
  }
  bool peek_is(std::string_view lit) {
    char b[32];
    return lit.size() <= sizeof b && src.read(pos, b, lit.size()) &&
           std::memcmp(b, lit.data(), lit.size()) == 0;
  }
};

bool check_v6(Walker& w, DatLayout& out) {
  std::uint64_t v;
  if (!w.literal(std::string_view("header_page\0", 12), "the 'header_page' section label"))
    return false;
  if (!w.uint(8, v, "header_page size") || !w.skip(v, "header_page")) return false;
  if (!w.literal(std::string_view("header_event\0", 13), "the 'header_event' section label"))
    return false;
  if (!w.uint(8, v, "header_event size") || !w.skip(v, "header_event")) return false;
  std::uint64_t count;
  if (!w.uint(4, count, "ftrace event format count")) return false;
  for (std::uint64_t i = 0; i < count; ++i)
    if (!w.uint(8, v, "ftrace event format size") || !w.skip(v, "ftrace event format"))
      return false;
  std::uint64_t systems;
  if (!w.uint(4, systems, "event system count")) return false;
  std::string name;
  for (std::uint64_t s = 0; s < systems; ++s) {
    if (!w.cstring(name, "event system name")) return false;
    if (!w.uint(4, count, "event format count")) return false;
    for (std::uint64_t i = 0; i < count; ++i)
      if (!w.uint(8, v, "event format size") || !w.skip(v, "event format")) return false;
  }
  if (!w.uint(4, v, "kallsyms size") || !w.skip(v, "kallsyms")) return false;
  if (!w.uint(4, v, "printk formats size") || !w.skip(v, "printk formats")) return false;
  if (!w.uint(8, v, "cmdlines size") || !w.skip(v, "cmdlines")) return false;
  std::uint64_t cpus;
  if (!w.uint(4, cpus, "CPU count")) return false;
  if (cpus == 0 || cpus > 8192) return w.fail("a CPU count between 1 and 8192");
  out.cpus = static_cast<std::uint32_t>(cpus);
  while (true) {
    if (w.peek_is(std::string_view("options  \0", 10))) {
      w.pos += 10;
      while (true) {
        std::uint64_t id, size;
        if (!w.uint(2, id, "option id")) return false;
        if (id == 0) break;
        if (!w.uint(4, size, "option size") || !w.skip(size, "option data")) return false;
      }
      continue;
    }
    if (w.peek_is(std::string_view("latency  \0", 10))) {
      // Latency-format text data runs to the end of the file; nothing declares its size.
      w.pos += 10;
      out.data_end = w.src.size();
      return true;
    }
    if (!w.literal(std::string_view("flyrecord\0", 10),
                   "'options  ', 'latency  ' or 'flyrecord' after the CPU count"))
      return false;
    break;
  }
  std::uint64_t end = w.pos + cpus * 16;
  for (std::uint64_t c = 0; c < cpus; ++c) {
    std::uint64_t off, size;
    if (!w.uint(8, off, "CPU data offset") || !w.uint(8, size, "CPU data size")) return false;
    if (off > w.src.size() || size > w.src.size() - off) {
      w.pos = off;
      return w.fail("the " + std::to_string(size) + " bytes of CPU " + std::to_string(c) +
                    " data declared at offset " + std::to_string(off) + "; the file has " +
                    std::to_string(w.src.size()) + " bytes (truncated)");
    }
    if (off + size > end) end = off + size;
  }
  out.data_end = end;
  return true;
}

bool check_v7(Walker& w, DatLayout& out) {
  std::string version;
  if (!w.cstring(out.compression, "compression algorithm name") ||
      !w.cstring(version, "compression algorithm version"))
    return false;
  std::uint64_t first_options;
  if (!w.uint(8, first_options, "offset of the first options section")) return false;
  bool saw_options = false, saw_buffer = false;
  std::uint64_t last_id = ~0ULL;
  while (w.pos < w.src.size()) {
    std::uint64_t start = w.pos, id, flags, strid, size;
    if (!w.uint(2, id, "section id") || !w.uint(2, flags, "section flags") ||
        !w.uint(4, strid, "section string id") || !w.uint(8, size, "section size"))
      return false;
    if (size > w.src.size() || w.pos > w.src.size() - size) {
      w.pos = start;
      return w.fail("section " + std::to_string(id) + " of " + std::to_string(size) +
                    " bytes at offset " + std::to_string(start) + "; the file has " +
                    std::to_string(w.src.size()) + " bytes (truncated)");
    }
    w.pos += size;
    if (start == first_options) saw_options = true;
    if (id == 3 || id == 22) saw_buffer = true;  // BUFFER (flyrecord), BUFFER_TEXT (latency)
    last_id = id;
    ++out.sections;
  }
  if (!saw_options)
    return w.fail("a section starting at the first options offset " +
                  std::to_string(first_options));
  if (!saw_buffer) return w.fail("a buffer (flyrecord or latency) section");
  if (last_id != 15)
    return w.fail("the strings section (id 15) at the end of the file (truncated or "
                  "not written by trace-cmd)");
  out.data_end = w.pos;
  return true;
}

bool check(const Source& src, DatLayout& out, std::string& expected, std::uint64_t& where) {
  out = DatLayout{};
  Walker w{src, false, 0, expected, where};
  if (!w.literal(std::string_view("\x17\x08\x44tracing", 10), "the trace.dat magic"))
    return false;
  std::string ver;
  if (!w.cstring(ver, "file version string", 8)) return false;
  if (ver == "6") out.version = 6;
  else if (ver == "7") out.version = 7;
  else return w.fail("file version 6 or 7 (found '" + ver + "')");
  std::uint64_t endian, long_size, page_size;
  if (!w.uint(1, endian, "endianness byte") || !w.uint(1, long_size, "long size byte") ||
      !w.uint(4, page_size, "page size"))
    return false;
  out.big_endian = endian != 0;
  w.big = out.big_endian;
  if (long_size != 4 && long_size != 8) return w.fail("a long size of 4 or 8");
  // the page size was read with the file's endianness only after w.big was set: re-read
  w.pos -= 4;
  if (!w.uint(4, page_size, "page size")) return false;
  if (page_size == 0 || page_size > (1u << 24)) return w.fail("a page size up to 16 MiB");
  return out.version == 6 ? check_v6(w, out) : check_v7(w, out);
}

}  // namespace

bool check_dat_layout(std::string_view data, DatLayout& out, std::string& expected,
                      std::uint64_t& offset) {
  MemSource src(data);
  return check(src, out, expected, offset);
}

bool check_dat_file(const std::string& path, DatLayout& out, std::string& expected,
                    std::uint64_t& offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  offset = 0;
  if (fd < 0) {
    expected = std::string("a readable file (") + std::strerror(errno) + ")";
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    expected = "a regular file";
    return false;
  }
  FileSource src(fd, static_cast<std::uint64_t>(st.st_size));
  bool ok = check(src, out, expected, offset);
  ::close(fd);
  return ok;
}

}  // namespace unpop::traces

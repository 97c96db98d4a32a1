// PrefetchReader hands out exactly what the wrapped reader produces, in order (records across
// many batch borders, then the first error), and stopping early does not wait for a reader
// blocked on a pipe (a live trace_pipe).
#include "traces/prefetch_reader.h"

#include <chrono>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "traces/text_reader.h"

using namespace unpop::traces;

namespace {

std::string lines(int n, bool bad_at_end) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "          gntdev-212     [000] .....    52." + std::to_string(100000 + i) +
         ": xen_unpop_alloc_page: pfn=" + std::to_string(0x40000 + i) + "\n";
  if (bad_at_end) s += "this is not an event line\n";
  return s;
}

TEST(PrefetchReader, SameRecordsAndErrorInOrderAcrossBatches) {
  const std::string text = lines(1000, true);
  auto plain = TextReader::from_memory("mem", text);
  PrefetchReader pre(TextReader::from_memory("mem", text), 7);  // many batch borders
  Record want;
  ReadError want_err, got_err;
  for (;;) {
    const Record* got = nullptr;
    ReadStatus ws = plain->next(want, want_err);
    ReadStatus gs = pre.next(got, got_err);
    ASSERT_EQ(static_cast<int>(gs), static_cast<int>(ws));
    if (ws != ReadStatus::record) break;
    EXPECT_EQ(got->line, want.line);
    EXPECT_EQ(got->timestamp, want.timestamp);
    EXPECT_EQ(got->body, want.body);
  }
  EXPECT_EQ(got_err.message(), want_err.message());
  EXPECT_NE(got_err.line, 0u);
  const Record* none = nullptr;
  EXPECT_EQ(pre.next(none, got_err), ReadStatus::end);  // after an error: end
}

TEST(PrefetchReader, StoppingEarlyDoesNotWaitForABlockedPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string text = lines(3, false);
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  const auto t0 = std::chrono::steady_clock::now();
  {
    PrefetchReader pre(TextReader::from_fd("pipe", fds[0]), 1);  // pipes: record by record
    const Record* r = nullptr;
    ReadError err;
    ASSERT_EQ(pre.next(r, err), ReadStatus::record);  // the writer stays open: read() blocks
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  ::close(fds[1]);  // the detached reader sees the end and finishes
}

}  // namespace

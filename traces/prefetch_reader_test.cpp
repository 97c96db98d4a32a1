// PrefetchReader hands out exactly what the wrapped reader produces, in order (records across
// many batch borders, then the first error), and stopping early does not wait for a reader
// blocked on a pipe (a live trace_pipe), nor does a record already in the pipe wait for a batch
// to fill.
#include "traces/prefetch_reader.h"

#include <chrono>
#include <future>
#include <string>
#include <thread>
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

// Closes a pipe's write end after 10 s, or at once when the test ends: a reader that waits for
// more than the pipe holds then fails the test (its time check) instead of hanging it.
class Watchdog {
 public:
  explicit Watchdog(int write_fd)
      : thread_([w = write_fd, done = done_.get_future()] {
          done.wait_for(std::chrono::seconds(10));
          ::close(w);
        }) {}
  ~Watchdog() {
    done_.set_value();
    thread_.join();
  }

 private:
  std::promise<void> done_;  // (declared before thread_: the thread takes its future)
  std::thread thread_;
};

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
  Watchdog dog(fds[1]);  // then the detached reader sees the end and finishes
  const auto t0 = std::chrono::steady_clock::now();
  {
    PrefetchReader pre(TextReader::from_fd("pipe", fds[0]));
    const Record* r = nullptr;
    ReadError err;
    ASSERT_EQ(pre.next(r, err), ReadStatus::record);  // the writer stays open: read() blocks
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

// Records already in the pipe come out at once, though they fill no batch: the writer stays
// open (a live trace_pipe).
TEST(PrefetchReader, HandsOverWhatThePipeHoldsBeforeWaiting) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string text = lines(5, false);
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  Watchdog dog(fds[1]);
  const auto t0 = std::chrono::steady_clock::now();
  PrefetchReader pre(TextReader::from_fd("pipe", fds[0]));  // batches of 256
  const Record* r = nullptr;
  ReadError err;
  for (int i = 0; i < 5; ++i) ASSERT_EQ(pre.next(r, err), ReadStatus::record) << i;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(TextReader, ReadyWhenALineIsBuffered) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto reader = TextReader::from_fd("pipe", fds[0]);
  EXPECT_FALSE(reader->ready());  // nothing read yet
  const std::string text = lines(2, false);
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  Record r;
  ReadError err;
  ASSERT_EQ(reader->next(r, err), ReadStatus::record);
  EXPECT_TRUE(reader->ready());  // the second line is buffered
  ASSERT_EQ(reader->next(r, err), ReadStatus::record);
  EXPECT_FALSE(reader->ready());  // the next would read()
  ::close(fds[1]);
  EXPECT_EQ(reader->next(r, err), ReadStatus::end);
  EXPECT_TRUE(reader->ready());
  EXPECT_TRUE(TextReader::from_memory("m", text)->ready());
}

}  // namespace

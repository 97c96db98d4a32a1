// Runs a RecordReader on its own thread, up to a few batches of records ahead of the consumer.
// Records, end and errors come out in exactly the order the wrapped reader produced them.
//
// The replay reads pipes and a live `trace_pipe` through it. Regular files are read on the
// replay's own thread: on the 2-vCPU build machine, handing each ~600-byte Record from one core
// to the other cost more than the parsing it overlapped (docs/replay.md, "Benchmark").
//
// A batch is handed over when it is full or when the next record would wait for input
// (RecordReader::ready()): records already written to a pipe reach the consumer at once, and a
// pipe with plenty of data costs one hand-over per batch, not one per record (batches of one
// made a piped replay 20x slower than awk: two futex wake-ups per record).
//
// Records are handed out by pointer into the current batch (no copy): a pointer stays valid
// until the next call to next().
//
// Stopping early (the replay ends at its first violation) must not wait for the reader: on a
// live `trace_pipe` its read() blocks until the kernel writes more. The reading thread owns
// its state through a shared_ptr, so the destructor joins it only when it is idle and lets it
// finish on its own otherwise.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "traces/reader.h"

namespace unpop::traces {

class PrefetchReader {
 public:
  /// Takes the reader and starts reading at once. `batch` records per hand-over.
  explicit PrefetchReader(std::unique_ptr<RecordReader> inner, std::size_t batch = 256);
  ~PrefetchReader();
  PrefetchReader(const PrefetchReader&) = delete;
  PrefetchReader& operator=(const PrefetchReader&) = delete;

  /// As RecordReader::next, but `out` points into the reader's own storage. After `end` or
  /// an error, every later call returns `end`.
  ReadStatus next(const Record*& out, ReadError& err);
  const std::string& name() const { return name_; }

 private:
  struct Item {
    ReadStatus status = ReadStatus::end;
    Record rec;  // reused: its strings keep their capacity from batch to batch
    ReadError err;
  };
  struct Batch {
    std::vector<Item> items;
    std::size_t size = 0;  // items filled
    bool full = false;     // owned by the consumer until it hands the batch back
  };
  static constexpr int kBatches = 8;
  struct State {  // shared by the consumer and the reading thread
    std::unique_ptr<RecordReader> inner;
    Batch batches[kBatches];
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    bool reading = false;  // the thread is filling a batch (may be blocked in read())
  };

  static void produce(const std::shared_ptr<State>& st);

  std::shared_ptr<State> st_;
  std::string name_;
  int take_ = 0;          // the batch the consumer reads (or waits for)
  std::size_t pos_ = 0;   // next item in batches[take_]
  bool holding_ = false;  // the consumer holds batches[take_]
  bool over_ = false;     // end or error was handed out
  std::thread thread_;
};

}  // namespace unpop::traces

#include "traces/prefetch_reader.h"

#include <exception>

namespace unpop::traces {

PrefetchReader::PrefetchReader(std::unique_ptr<RecordReader> inner, std::size_t batch)
    : st_(std::make_shared<State>()), name_(inner->name()) {
  st_->inner = std::move(inner);
  for (auto& b : st_->batches) b.items.resize(batch == 0 ? 1 : batch);
  thread_ = std::thread([st = st_] { produce(st); });
}

PrefetchReader::~PrefetchReader() {
  bool busy;
  {
    std::lock_guard<std::mutex> lock(st_->mu);
    st_->stop = true;
    busy = st_->reading;
  }
  st_->cv.notify_all();
  // Idle: it sees `stop` at once. Busy: it may be blocked in read() on a pipe; it stops after
  // its batch, and its shared_ptr keeps the state alive until then.
  if (busy) thread_.detach();
  else thread_.join();
}

void PrefetchReader::produce(const std::shared_ptr<State>& st) {
  for (int fill = 0;; fill = (fill + 1) % kBatches) {
    Batch& b = st->batches[fill];
    {
      std::unique_lock<std::mutex> lock(st->mu);
      st->cv.wait(lock, [&] { return st->stop || !b.full; });
      if (st->stop) return;
      st->reading = true;
    }
    // The batch is ours until we mark it full: fill it without the lock.
    std::size_t n = 0;
    bool last = false;
    while (n < b.items.size() && !last) {
      Item& it = b.items[n++];
      try {
        it.status = st->inner->next(it.rec, it.err);
      } catch (const std::exception& e) {  // never lose a failure on the other thread
        it.status = ReadStatus::error;
        it.err = ReadError{};
        it.err.file = st->inner->name();
        it.err.expected = std::string("a readable input (the reader failed: ") + e.what() + ")";
        it.err.fatal = true;
      }
      last = it.status != ReadStatus::record;  // end, or an error: the replay stops there
      if (!last && !st->inner->ready()) break;  // the next one waits for input: hand these over
    }
    {
      std::lock_guard<std::mutex> lock(st->mu);
      st->reading = false;
      b.size = n;
      b.full = true;
    }
    st->cv.notify_all();
    if (last) return;
  }
}

ReadStatus PrefetchReader::next(const Record*& out, ReadError& err) {
  if (over_) return ReadStatus::end;
  Batch* b = &st_->batches[take_];
  if (holding_ && pos_ == b->size) {  // hand the used batch back
    {
      std::lock_guard<std::mutex> lock(st_->mu);
      b->full = false;
    }
    st_->cv.notify_all();
    holding_ = false;
    take_ = (take_ + 1) % kBatches;
    pos_ = 0;
    b = &st_->batches[take_];
  }
  if (!holding_) {
    std::unique_lock<std::mutex> lock(st_->mu);
    st_->cv.wait(lock, [&] { return b->full; });
    holding_ = true;
  }
  Item& it = b->items[pos_++];
  switch (it.status) {
    case ReadStatus::record: out = &it.rec; return ReadStatus::record;
    case ReadStatus::end: over_ = true; return ReadStatus::end;
    case ReadStatus::error: over_ = true; err = it.err; return ReadStatus::error;
  }
  over_ = true;
  return ReadStatus::end;
}

}  // namespace unpop::traces

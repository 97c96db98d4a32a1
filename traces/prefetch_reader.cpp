#include "traces/prefetch_reader.h"

#include <exception>

namespace unpop::traces {

PrefetchReader::PrefetchReader(std::unique_ptr<RecordReader> inner, std::size_t batch)
    : inner_(std::move(inner)), name_(inner_->name()) {
  for (auto& b : batches_) b.items.resize(batch == 0 ? 1 : batch);
  thread_ = std::thread([this] { produce(); });
}

PrefetchReader::~PrefetchReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void PrefetchReader::produce() {
  for (int fill = 0;; fill = (fill + 1) % kBatches) {
    Batch& b = batches_[fill];
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !b.full; });
      if (stop_) return;
    }
    // The batch is ours until we mark it full: fill it without the lock.
    std::size_t n = 0;
    bool last = false;
    while (n < b.items.size() && !last) {
      Item& it = b.items[n++];
      try {
        it.status = inner_->next(it.rec, it.err);
      } catch (const std::exception& e) {  // never lose a failure on the other thread
        it.status = ReadStatus::error;
        it.err = ReadError{};
        it.err.file = name_;
        it.err.expected = std::string("a readable input (the reader failed: ") + e.what() + ")";
        it.err.fatal = true;
      }
      last = it.status != ReadStatus::record;  // end, or an error: the replay stops there
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      b.size = n;
      b.full = true;
    }
    cv_.notify_all();
    if (last) return;
  }
}

ReadStatus PrefetchReader::next(const Record*& out, ReadError& err) {
  if (over_) return ReadStatus::end;
  if (holding_ && pos_ == batches_[take_].size) {  // hand the used batch back
    {
      std::lock_guard<std::mutex> lock(mu_);
      batches_[take_].full = false;
    }
    cv_.notify_all();
    holding_ = false;
    take_ = (take_ + 1) % kBatches;
    pos_ = 0;
  }
  if (!holding_) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return batches_[take_].full; });
    holding_ = true;
  }
  Item& it = batches_[take_].items[pos_++];
  switch (it.status) {
    case ReadStatus::record: out = &it.rec; return ReadStatus::record;
    case ReadStatus::end: over_ = true; return ReadStatus::end;
    case ReadStatus::error: over_ = true; err = it.err; return ReadStatus::error;
  }
  over_ = true;
  return ReadStatus::end;
}

}  // namespace unpop::traces

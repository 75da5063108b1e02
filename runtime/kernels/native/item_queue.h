// item_queue.h - hands a call's work items to the pool's threads. Each thread owns a contiguous
// segment of the items (so a thread's items mostly share its heads, and it transposes each kv
// head's K once instead of every thread every head) and takes them in order; once its own segment
// is empty it steals one item at a time from the end of the fullest other segment. With
// per_head > 1 (the attention items h * per_head + b, b a row block) a head's blocks are taken
// last to first: under a causal mask the last rows see the most keys, so the costliest items run
// early and the ones stolen near the end are cheap.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

class ItemQueue {
 public:
  ItemQueue(int32_t items, int threads, int32_t per_head)
      : per_head_(per_head > 0 ? per_head : 1), segments_(static_cast<size_t>(threads)) {
    for (int w = 0; w < threads; w++)
      segments_[w].store(pack(static_cast<int32_t>(static_cast<int64_t>(items) * w / threads),
                              static_cast<int32_t>(static_cast<int64_t>(items) * (w + 1) / threads)));
  }

  // The next item for thread w, or -1 when every segment is empty.
  int32_t next(int w) {
    std::atomic<uint64_t> &own = segments_[w];
    uint64_t v = own.load();
    while (first(v) < last(v))
      if (own.compare_exchange_weak(v, pack(first(v) + 1, last(v)))) return item(first(v));
    for (;;) {
      int victim = -1;
      int32_t most = 0;
      for (size_t x = 0; x < segments_.size(); x++) {
        const uint64_t s = segments_[x].load();
        if (last(s) - first(s) > most) { most = last(s) - first(s); victim = static_cast<int>(x); }
      }
      if (victim < 0) return -1;
      uint64_t s = segments_[victim].load();
      if (first(s) < last(s) && segments_[victim].compare_exchange_weak(s, pack(first(s), last(s) - 1)))
        return item(last(s) - 1);
    }
  }

 private:
  static uint64_t pack(int32_t first, int32_t last) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(first)) << 32) | static_cast<uint32_t>(last);
  }
  static int32_t first(uint64_t v) { return static_cast<int32_t>(v >> 32); }
  static int32_t last(uint64_t v) { return static_cast<int32_t>(v & 0xffffffffu); }
  // the k-th item in taking order: a head's blocks last to first
  int32_t item(int32_t k) const { return k / per_head_ * per_head_ + (per_head_ - 1 - k % per_head_); }

  const int32_t per_head_;
  std::vector<std::atomic<uint64_t>> segments_;
};

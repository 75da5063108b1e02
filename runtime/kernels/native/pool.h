// pool.h - a persistent pool of worker threads that runs one parallel job at a time: job(w) for
// w in [0, n), w = 0 on the calling thread. Kernel calls from several libuv threads are
// serialized (one core computes at a time, with all its threads).
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

class WorkerPool {
 public:
  static WorkerPool &instance() {
    static WorkerPool *pool = new WorkerPool();  // never destroyed: workers are detached
    return *pool;
  }

  void run(int n, const std::function<void(int)> &job) {
    std::lock_guard<std::mutex> serial(serial_);
    if (n <= 1) { job(0); return; }
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (static_cast<int>(workers_) < n - 1) {
        int id = static_cast<int>(workers_) + 1;
        std::thread([this, id] { loop(id); }).detach();
        workers_++;
      }
      job_ = &job;
      wanted_ = n;
      pending_ = n - 1;
      generation_++;
    }
    cv_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void loop(int id) {
    unsigned long seen = 0;
    for (;;) {
      const std::function<void(int)> *job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (id >= wanted_) continue;
        job = job_;
      }
      (*job)(id);
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex serial_, mu_;
  std::condition_variable cv_, done_;
  const std::function<void(int)> *job_ = nullptr;
  unsigned long generation_ = 0;
  size_t workers_ = 0;
  int wanted_ = 0, pending_ = 0;
};

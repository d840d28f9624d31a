#include "flex/model/tensor_memory.hpp"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <atomic>
#include <cstring>

#include "flex/core/error.hpp"
#include "flex/core/torch_compat.hpp"

namespace flex::model {

namespace {

std::atomic<std::int64_t> g_current{0}, g_peak{0};
std::atomic<bool> g_metering{false};

// Each block carries its size in a header before the data, so the DataPtr's
// context is its data pointer, as LibTorch's raw_allocate (scratch buffers)
// requires; the header keeps the data at the wrapped allocator's alignment.
constexpr std::size_t kHeader = 64;

void release(void* data) {
  auto* block = static_cast<char*>(data) - kHeader;
  std::int64_t bytes;
  std::memcpy(&bytes, block, sizeof bytes);
  g_current -= bytes;
  c10::free_cpu(block);
}

class CountingAllocator : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* inner) : inner_(inner) {}
  c10::DataPtr allocate(size_t n) FLEX_ALLOCATOR_ALLOCATE_CONST override {
    auto* block = static_cast<char*>(c10::alloc_cpu(n + kHeader));
    const auto bytes = static_cast<std::int64_t>(n);
    std::memcpy(block, &bytes, sizeof bytes);
    const std::int64_t now = g_current += bytes;
    std::int64_t peak = g_peak.load();
    while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
    }
    void* data = block + kHeader;
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
#if FLEX_ALLOCATOR_HAS_COPY_DATA
  void copy_data(void* dest, const void* src, std::size_t count) const override { std::memcpy(dest, src, count); }
#endif
  c10::Allocator* inner() const { return inner_; }

 private:
  c10::Allocator* inner_;  // the allocator to give back when the meter ends
};

// SetCPUAllocator keeps the allocator with the highest priority: ours outranks the default.
constexpr std::uint8_t kMeterPriority = 1;

// Never freed: tensors allocated under a meter may be released after it.
CountingAllocator& counting_allocator() {
  static auto* counting = new CountingAllocator(c10::GetCPUAllocator());
  return *counting;
}

}  // namespace

TensorMemoryMeter::TensorMemoryMeter() {
  FLEX_CHECK(!g_metering.exchange(true), "only one TensorMemoryMeter may be active at a time");
  c10::SetCPUAllocator(&counting_allocator(), kMeterPriority);
  g_peak = g_current.load();
}

TensorMemoryMeter::~TensorMemoryMeter() {
  c10::SetCPUAllocator(counting_allocator().inner(), kMeterPriority);
  g_metering = false;
}

std::int64_t TensorMemoryMeter::current_bytes() const { return g_current.load(); }
std::int64_t TensorMemoryMeter::peak_bytes() const { return g_peak.load(); }
void TensorMemoryMeter::reset_peak() { g_peak = g_current.load(); }

}  // namespace flex::model

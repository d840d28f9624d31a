#include "flex/model/recompute.hpp"

#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/torch.h>

#include <mutex>
#include <utility>

#include "flex/core/error.hpp"
#include "flex/core/torch_compat.hpp"
#include "flex/model/resblock.hpp"
#include "flex/model/transformer.hpp"

namespace flex::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The default generator of each device type the block draws from, as a value.
struct RandomState {
  at::Generator generator;
  at::Tensor state;

  static RandomState of(at::Generator g) {
    std::lock_guard<std::mutex> lock(g.mutex());
    auto state = g.get_state();
    return {std::move(g), std::move(state)};
  }
  void restore() {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
  }
};

// Autocast is thread-local and backward may run on another thread (LibTorch
// runs CUDA backward on a device thread): the replay sets it as forward had it.
struct AutocastState {
  c10::DeviceType device = c10::DeviceType::CPU;
  bool enabled = false;
  c10::ScalarType dtype = c10::ScalarType::Float;
};

class AutocastAs {
 public:
  explicit AutocastAs(const AutocastState& s) : saved_(capture(s.device)) { apply(s); }
  ~AutocastAs() { apply(saved_); }
  AutocastAs(const AutocastAs&) = delete;
  AutocastAs& operator=(const AutocastAs&) = delete;
  static AutocastState capture(c10::DeviceType d) {
    return {d, torch_compat::autocast_enabled(d), torch_compat::autocast_dtype(d)};
  }

 private:
  static void apply(const AutocastState& s) {
    torch_compat::set_autocast_enabled(s.device, s.enabled);
    torch_compat::set_autocast_dtype(s.device, s.dtype);
  }
  AutocastState saved_;
};

// What the backward needs besides the inputs, carried in the context as a capsule.
struct Replay : torch::CustomClassHolder {
  BlockBody body;
  std::vector<RandomState> random;
  std::vector<AutocastState> autocast;
};

at::Generator default_generator(const c10::Device& device) {
  return device.is_cpu() ? at::detail::getDefaultCPUGenerator() : at::globalContext().defaultGenerator(device);
}

class Recompute : public torch::autograd::Function<Recompute> {
 public:
  // Function::apply runs this with gradients off: nothing inside is recorded.
  static variable_list forward(AutogradContext* ctx, c10::intrusive_ptr<Replay> replay, at::TensorList inputs) {
    ctx->save_for_backward(inputs.vec());
    auto out = replay->body(inputs.vec());
    ctx->saved_data["replay"] = at::IValue::make_capsule(std::move(replay));
    return {out};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto replay = c10::static_intrusive_pointer_cast<Replay>(ctx->saved_data["replay"].toCapsule());
    std::vector<at::Tensor> inputs;
    for (const auto& x : ctx->get_saved_variables()) inputs.push_back(x.detach().requires_grad_(x.requires_grad()));

    at::Tensor out;
    {
      // The forward's random state for the replay, this moment's back after it.
      std::vector<RandomState> now;
      for (auto& r : replay->random) {
        now.push_back(RandomState::of(r.generator));
        r.restore();
      }
      std::vector<std::unique_ptr<AutocastAs>> autocast;
      for (const auto& a : replay->autocast) autocast.push_back(std::make_unique<AutocastAs>(a));
      torch::AutoGradMode grad(true);
      out = replay->body(inputs);
      for (auto& r : now) r.restore();
    }
    if (out.requires_grad() && grad_out.at(0).defined())
      torch::autograd::backward({out}, {grad_out[0]});

    variable_list grads{at::Tensor()};  // the replay argument has no gradient
    for (const auto& x : inputs) grads.push_back(x.requires_grad() ? x.grad() : at::Tensor());
    return grads;
  }
};

}  // namespace

bool recompute_active(bool enabled, bool training) { return enabled && training && torch::GradMode::is_enabled(); }

at::Tensor recomputed_in_backward(const BlockBody& body, const std::vector<at::Tensor>& inputs) {
  bool any_grad = false;
  for (const auto& x : inputs) {
    FLEX_CHECK(x.defined(), "recomputed_in_backward: every input must be defined");
    any_grad = any_grad || x.requires_grad();
  }
  if (!any_grad) return body(inputs);

  auto replay = c10::make_intrusive<Replay>();
  replay->body = body;
  const c10::Device device = inputs.front().device();
  replay->random.push_back(RandomState::of(at::detail::getDefaultCPUGenerator()));
  replay->autocast.push_back(AutocastAs::capture(c10::DeviceType::CPU));
  if (!device.is_cpu()) {
    replay->random.push_back(RandomState::of(default_generator(device)));
    replay->autocast.push_back(AutocastAs::capture(device.type()));
  }
  return Recompute::apply(replay, at::TensorList(inputs)).at(0);
}

std::int64_t set_activation_checkpointing(torch::nn::Module& network, bool on) {
  std::int64_t blocks = 0;
  for (const auto& m : network.modules(/*include_self=*/true)) {
    if (auto* r = dynamic_cast<ResBlockImpl*>(m.get())) {
      r->set_recompute(on);
      ++blocks;
    } else if (auto* t = dynamic_cast<TransformerBlockImpl*>(m.get())) {
      t->set_recompute(on);
      ++blocks;
    }
  }
  return blocks;
}

}  // namespace flex::model

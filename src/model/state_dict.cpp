#include "flex/model/state_dict.hpp"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "flex/core/error.hpp"
#include "flex/core/output.hpp"

namespace flex::model {

namespace {

std::string list_some(const std::vector<std::string>& names, std::size_t max = 6) {
  std::ostringstream s;
  for (std::size_t i = 0; i < names.size() && i < max; ++i) s << (i ? ", " : "") << names[i];
  if (names.size() > max) s << " ... (" << names.size() << " in all)";
  return s.str();
}

std::string shape_str(c10::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

}  // namespace

StateDict state_dict(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& m : module.named_modules()) {
    const std::string prefix = m.key().empty() ? "" : m.key() + ".";
    for (const auto& p : m.value()->named_parameters(/*recurse=*/false)) out.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : m.value()->named_buffers(/*recurse=*/false)) out.emplace_back(prefix + b.key(), b.value());
  }
  return out;
}

StateDict read_state_dict(const std::string& path, const std::string& prefix) {
  FLEX_REQUIRE(std::filesystem::exists(path), "checkpoint '" << path << "': no such file");
  FLEX_REQUIRE(std::filesystem::is_regular_file(path),
               "checkpoint '" << path << "' is " << (std::filesystem::is_directory(path) ? "a directory" : "not a file")
                              << ": a model checkpoint is one .pt file (a training checkpoint directory "
                                 "chkNNNNNNNN holds it as ema.pt)");
  std::ifstream in(path, std::ios::binary);
  FLEX_REQUIRE(in.good(), "checkpoint '" << path << "' cannot be opened");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    // LibTorch's text carries a backtrace after its first line.
    const std::string why(e.what());
    FLEX_REQUIRE(false, "checkpoint '" << path << "' is not a readable torch.save'd file (truncated or damaged?): "
                                       << why.substr(0, why.find('\n')));
  }
  FLEX_REQUIRE(value.isGenericDict(),
               "checkpoint '" << path << "' holds a " << value.tagKind()
                              << ", expected a dict name -> tensor (torch.save(model.state_dict(), path))");
  StateDict out;
  for (const auto& item : value.toGenericDict()) {
    FLEX_REQUIRE(item.key().isString() && item.value().isTensor(),
                 "checkpoint '" << path << "': entries must be name -> tensor");
    const auto& name = item.key().toStringRef();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    out.emplace_back(name.substr(prefix.size()), item.value().toTensor());
  }
  return out;
}

LoadReport load_state_dict(torch::nn::Module& module, const StateDict& source, const std::string& origin,
                           bool strict) {
  std::map<std::string, const torch::Tensor*> given;
  for (const auto& kv : source) given[kv.first] = &kv.second;

  LoadReport report;
  std::vector<std::pair<torch::Tensor, const torch::Tensor*>> copies;
  for (auto& kv : state_dict(module)) {
    auto it = given.find(kv.first);
    if (it == given.end()) {
      report.missing.push_back(kv.first);
      continue;
    }
    FLEX_REQUIRE(it->second->sizes() == kv.second.sizes(),
                 origin << ": '" << kv.first << "' has shape " << shape_str(it->second->sizes())
                        << " but the model's is " << shape_str(kv.second.sizes())
                        << " (check model.size, model.img and the channel keys)");
    copies.emplace_back(kv.second, it->second);
    report.loaded.push_back(kv.first);
    given.erase(it);
  }
  for (const auto& kv : given) report.unexpected.push_back(kv.first);
  if (strict) {
    FLEX_REQUIRE(report.missing.empty(), origin << ": " << report.missing.size()
                                                << " model entries are missing from the checkpoint: "
                                                << list_some(report.missing));
    FLEX_REQUIRE(report.unexpected.empty(), origin << ": " << report.unexpected.size()
                                                   << " checkpoint entries match nothing in the model: "
                                                   << list_some(report.unexpected)
                                                   << " (a multitask checkpoint needs model.tasks = mt)");
  }
  torch::NoGradGuard no_grad;
  for (auto& c : copies) c.first.copy_(*c.second);
  return report;
}

LoadReport load_checkpoint(torch::nn::Module& module, const std::string& path, bool strict) {
  return load_state_dict(module, read_state_dict(path), "checkpoint '" + path + "'", strict);
}

void save_state_dict(const StateDict& dict, const std::string& path, bool overwrite) {
  output::ensure_writable(path, overwrite);
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& kv : dict) d.insert(kv.first, kv.second.detach().to(torch::kCPU).contiguous());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(d));
  const std::string tmp = output::temporary_for(path);
  bool ok = false;
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    ok = !out.fail();
  }
  if (!ok) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    output::write_failed(path, "cannot write the checkpoint");
  }
  output::commit(tmp, path);
}

void save_checkpoint(const torch::nn::Module& module, const std::string& path, bool overwrite) {
  save_state_dict(state_dict(module), path, overwrite);
}

}  // namespace flex::model

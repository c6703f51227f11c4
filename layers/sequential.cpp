#include "layers/sequential.hpp"

#include <string>

#include "core/error.hpp"

namespace recur::nn {

Sequential::Sequential(std::vector<std::unique_ptr<UnaryModule>> modules) {
  for (auto& module : modules) push_back(std::move(module));
}

UnaryModule& Sequential::push_back(std::unique_ptr<UnaryModule> module) {
  if (!module)
    throw ValueError("Sequential: module " + std::to_string(modules_.size()) + " is null");
  // register_module() gives the child this container's mode, as a train()/eval() call would.
  modules_.push_back(&register_module(std::to_string(modules_.size()), std::move(module)));
  return *modules_.back();
}

Var Sequential::forward(const Var& x) {
  Var y = x;
  for (auto& module : modules_) y = module->forward(y);
  return y;
}

UnaryModule& Sequential::operator[](std::size_t index) {
  if (index >= modules_.size())
    throw ValueError("Sequential: index " + std::to_string(index) + " is out of range for " +
                     std::to_string(modules_.size()) + " modules");
  return *modules_[index];
}

}  // namespace recur::nn

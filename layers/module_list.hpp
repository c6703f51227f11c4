/// @file
/// ModuleList: a list of child modules, torch.nn.ModuleList.
#pragma once

#include <concepts>
#include <cstddef>
#include <iterator>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "layers/module.hpp"

namespace recur::nn {

/// Holds child modules of type `M` (any Module by default) named "0", "1", ... as
/// torch.nn.ModuleList does, so their parameters are `blocks.0.weight`, `blocks.1.weight` and so
/// on. It has no forward: the model that owns it decides how its items are called.
/// @code
/// struct Stack : recur::nn::Module {
///   recur::nn::ModuleList<recur::nn::Linear>& layers =
///       register_module("layers", recur::nn::ModuleList<recur::nn::Linear>());
///   Stack() {
///     for (int i = 0; i < 3; ++i)
///       layers.push_back(recur::nn::Linear({.in_features = 8, .out_features = 8}));
///   }
///   recur::Var forward(recur::Var x) {
///     for (recur::nn::Linear& layer : layers) x = recur::tanh(layer(x));
///     return x;
///   }
/// };
/// @endcode
template <class M = Module>
  requires std::derived_from<M, Module>
class ModuleList : public Module {
 public:
  /// Iterates over the items as `M&`, in order.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;  ///< A forward iterator.
    using value_type = M;                                 ///< The items' type.
    using difference_type = std::ptrdiff_t;               ///< Distance between two iterators.
    using pointer = M*;                                   ///< A pointer to an item.
    using reference = M&;                                 ///< A reference to an item.
    iterator() = default;
    /// The item.
    M& operator*() const { return **position_; }
    /// The item's members.
    M* operator->() const { return *position_; }
    /// The next item.
    iterator& operator++() {
      ++position_;
      return *this;
    }
    /// The next item (postfix).
    iterator operator++(int) {
      iterator before = *this;
      ++position_;
      return before;
    }
    /// True at the same position.
    bool operator==(const iterator& other) const = default;

   private:
    friend class ModuleList;
    explicit iterator(typename std::vector<M*>::const_iterator position) : position_(position) {}
    typename std::vector<M*>::const_iterator position_{};
  };

  ModuleList() = default;

  /// Appends a module built in place (`nn::Linear({...})`) or std::move()d, named by its
  /// position, and returns it.
  template <class C>
    requires std::derived_from<std::remove_cvref_t<C>, M> && (!std::is_lvalue_reference_v<C>)
  std::remove_cvref_t<C>& push_back(C&& module) {
    auto& added = register_module(std::to_string(items_.size()), std::move(module));
    items_.push_back(&added);
    return added;
  }
  /// Appends a module already on the heap and returns it.
  /// @throws recur::ValueError for null.
  template <class C>
    requires std::derived_from<C, M>
  C& push_back(std::unique_ptr<C> module) {
    C& added = register_module(std::to_string(items_.size()), std::move(module));
    items_.push_back(&added);
    return added;
  }
  /// Builds a module of type C (M by default) from `args` at the end and returns it.
  template <class C = M, class... Args>
    requires std::derived_from<C, M>
  C& emplace_back(Args&&... args) {
    return push_back(std::make_unique<C>(std::forward<Args>(args)...));
  }

  /// Item `index`.
  /// @throws recur::ValueError when out of range.
  M& operator[](std::size_t index) const {
    if (index >= items_.size())
      throw ValueError("ModuleList: index " + std::to_string(index) + " is out of range for " +
                       std::to_string(items_.size()) + " modules");
    return *items_[index];
  }
  /// Number of items.
  std::size_t size() const { return items_.size(); }
  /// True when there is no item.
  bool empty() const { return items_.empty(); }
  /// The first item.
  iterator begin() const { return iterator(items_.begin()); }
  /// Past the last item.
  iterator end() const { return iterator(items_.end()); }

 private:
  std::vector<M*> items_;  // in order; owned as children (register_module)
};

}  // namespace recur::nn

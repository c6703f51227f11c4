// recurrence()'s input checks: every shape against the cell and the others, each failure a
// recur::Error naming the cell, the input and the shapes.
#include <algorithm>
#include <string>

#include "autograd/ops/recurrence.hpp"
#include "autograd/recurrence/plan.hpp"
#include "core/error.hpp"

namespace recur::detail::recurrence {
namespace {

std::string name_of(const cell::CellSpec& cell) { return cell.name; }

bool shaped(const Var& v, std::initializer_list<std::size_t> shape) {
  return v.defined() && std::equal(v.shape().begin(), v.shape().end(), shape.begin(), shape.end());
}

}  // namespace

Dims check(const cell::CellSpec& cell, const RecurrenceInputs& in) {
  const std::string name = name_of(cell);
  const Var& x = in.input;
  if (!x.defined() || x.rank() != 3 || x.dim(0) == 0 || x.dim(1) == 0)
    throw ShapeError(name + ": expected an input [T, B, I] with T, B > 0, got " +
                     (x.defined() ? shape_str(x.shape()) : std::string("an empty Var")));
  const std::size_t T = x.dim(0), B = x.dim(1), I = x.dim(2);
  if (!in.weight_ih.defined() || in.weight_ih.rank() != 2 || in.weight_ih.dim(1) != I ||
      in.weight_ih.dim(0) % cell.gates != 0 || in.weight_ih.dim(0) == 0)
    throw ShapeError(name + ": weight_ih must be [gates * H, I] = [" + std::to_string(cell.gates) +
                     " * H, " + std::to_string(I) + "] for input " + shape_str(x.shape()) +
                     ", got " + (in.weight_ih.defined() ? shape_str(in.weight_ih.shape())
                                                         : std::string("none")));
  const std::size_t G = in.weight_ih.dim(0), H = G / cell.gates;
  const bool projection = in.weight_hr.defined();
  if (projection && (in.weight_hr.rank() != 2 || in.weight_hr.dim(1) != H ||
                     in.weight_hr.dim(0) == 0 || in.weight_hr.dim(0) >= H))
    throw ShapeError(name + ": weight_hr must be [P, " + std::to_string(H) + "] with 0 < P < " +
                     std::to_string(H) + ", got " + shape_str(in.weight_hr.shape()));
  const std::size_t P = projection ? in.weight_hr.dim(0) : H;
  if (projection && (cell.step_reads_state[0] || cell.recurrent_states > 1))
    throw ValueError(name + ": a projection (proj_size) needs a cell whose step does not read h "
                     "and that feeds back only h; this one " +
                     (cell.step_reads_state[0] ? "reads h in its step" : "feeds back more states"));
  const bool has_product = cell.recurrence != cell::Recurrence::none;
  const std::size_t R = has_product ? cell.recurrent_states : 0;
  if (has_product != in.weight_hh.defined() ||
      (has_product && !shaped(in.weight_hh, {G, R * P})))
    throw ShapeError(name + ": weight_hh must be " +
                     (has_product ? "[" + std::to_string(G) + ", " + std::to_string(R * P) + "]"
                                  : std::string("absent (the cell has no recurrent product)")) +
                     ", got " + (in.weight_hh.defined() ? shape_str(in.weight_hh.shape())
                                                         : std::string("none")));
  const auto check_vector = [&](const Var& v, std::size_t size, const char* what) {
    if (v.defined() && !shaped(v, {size}))
      throw ShapeError(name + ": " + what + " must be [" + std::to_string(size) + "], got " +
                       shape_str(v.shape()));
  };
  check_vector(in.bias_ih, G, "bias_ih");
  check_vector(in.bias_hh, G, "bias_hh");
  if (in.bias_hh.defined() && !has_product)
    throw ShapeError(name + ": bias_hh needs a recurrent product, which this cell has not");
  for (std::size_t k = 0; k < cell.vectors; ++k)
    if (!shaped(in.vectors[k], {H}))
      throw ShapeError(name + ": " + cell.vector_names[k] + " must be [" + std::to_string(H) +
                       "], got " + (in.vectors[k].defined() ? shape_str(in.vectors[k].shape())
                                                             : std::string("none")));
  for (std::size_t k = 0; k < cell.states; ++k) {
    const std::size_t width = k == 0 ? P : H;
    if (in.initial[k].defined() && !shaped(in.initial[k], {B, width}))
      throw ShapeError(name + ": the initial " + cell.state_names[k] + " must be [" +
                       std::to_string(B) + ", " + std::to_string(width) + "] for input " +
                       shape_str(x.shape()) + ", got " + shape_str(in.initial[k].shape()));
  }
  if (in.recurrent_mask.defined() && !shaped(in.recurrent_mask, {B, P}))
    throw ShapeError(name + ": the recurrent mask must be [" + std::to_string(B) + ", " +
                     std::to_string(P) + "], got " + shape_str(in.recurrent_mask.shape()));
  if (in.recurrent_mask.defined() && !has_product)
    throw ValueError(name + ": recurrent dropout needs a recurrent product, which this cell has "
                     "not");
  const IndexTensor* lengths = in.lengths;
  if (lengths) {
    const auto values = [&] {  // for the messages only: a steady step builds no string
      std::string text = "[";
      for (std::size_t i = 0; i < lengths->size(); ++i)
        text += (i ? ", " : "") + std::to_string(lengths->data()[i]);
      return text + "]";
    };
    if (lengths->dimension() != 1 || lengths->size() != B)
      throw ValueError(name + ": lengths must hold one length per sequence (" +
                       std::to_string(B) + " for input batch " + std::to_string(B) +
                       "), got shape " + shape_str(lengths->shape()) + " with values " + values());
    for (std::int64_t length : *lengths)
      if (length < 1 || length > static_cast<std::int64_t>(T))
        throw ValueError(name + ": every length must be in [1, " + std::to_string(T) +
                         "] (the input's sequence length), got " + values());
  }
  Dims d{};
  d.cell = &cell;
  d.T = static_cast<std::uint32_t>(T);
  d.B = static_cast<std::uint32_t>(B);
  d.I = static_cast<std::uint32_t>(I);
  d.H = static_cast<std::uint32_t>(H);
  d.P = static_cast<std::uint32_t>(P);
  d.reverse = in.reverse;
  // Lengths that are all T change nothing: the plain path then runs, with no copies.
  const auto full = static_cast<std::int64_t>(T);
  d.ragged = lengths && std::any_of(lengths->begin(), lengths->end(),
                                    [&](std::int64_t length) { return length != full; });
  return d;
}

}  // namespace recur::detail::recurrence

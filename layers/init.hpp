/// @file
/// Weight initialisers with torch.nn.init's names, formulas and defaults, in recur::nn::init.
///
/// Initialisers that overwrite a tensor or a parameter in place, as torch.nn.init does: the same
/// names (with torch's trailing underscore for "in place"), the same formulas for the bounds and
/// standard deviations, the same defaults. The numbers come from a recur::Generator
/// (recur::default_generator() unless one is passed), so a seed fixes them; they are not torch's
/// numbers, only its distributions. The overloads taking a recur::Parameter bump its version.
/// @code
/// recur::nn::Linear layer({.in_features = 256, .out_features = 256});
/// recur::nn::init::xavier_uniform_(layer.weight());
/// recur::nn::init::zeros_(*layer.bias());
/// recur::nn::init::orthogonal_(lstm_weight_hh, recur::nn::init::calculate_gain(
///     recur::nn::init::Nonlinearity::tanh));
/// @endcode
/// @see @ref models_init "Initialisation" in Building models.
#pragma once

#include <cstddef>
#include <optional>

#include "autograd/parameter.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"

namespace recur::nn::init {

/// The nonlinearity a layer's output goes through, for calculate_gain().
enum class Nonlinearity {
  linear,      ///< gain 1 (also what torch returns for the conv and conv_transpose names)
  conv,        ///< gain 1 (torch's conv1d, conv2d, conv3d and conv_transpose*d)
  sigmoid,     ///< gain 1
  tanh,        ///< gain 5/3
  relu,        ///< gain sqrt(2)
  leaky_relu,  ///< gain sqrt(2 / (1 + negative_slope^2)), negative_slope 0.01 by default
  selu,        ///< gain 3/4
};

/// Which fan kaiming_uniform_() and kaiming_normal_() divide by: fan_in keeps the variance of
/// the forward pass's activations, fan_out that of the backward pass's gradients.
enum class FanMode {
  fan_in,   ///< the number of inputs of each output unit (torch's default)
  fan_out,  ///< the number of outputs each input unit feeds
};

/// A weight's fans, as torch's `_calculate_fan_in_and_fan_out` computes them.
struct Fans {
  std::size_t fan_in = 0;   ///< shape[1] times the receptive field (the product of shape[2:])
  std::size_t fan_out = 0;  ///< shape[0] times the receptive field
};

/// The recommended gain for a nonlinearity, torch.nn.init.calculate_gain.
/// @param nonlinearity The nonlinearity after the layer.
/// @param param leaky_relu's negative slope (0.01 when absent); ignored by the others.
/// @throws recur::ValueError for a slope that is not finite.
double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param = std::nullopt);

/// fan_in and fan_out of a weight of `shape`: [out, in] for a Linear weight, [out, in, k...]
/// for a convolution's.
/// @throws recur::ValueError for fewer than 2 dimensions (torch: "Fan in and fan out can not be
///         computed for tensor with fewer than 2 dimensions").
Fans calculate_fans(const Shape& shape);

/// Fills `tensor` from U(a, b).
void uniform_(Tensor& tensor, double a = 0.0, double b = 1.0,
              Generator& generator = default_generator());
/// Fills `tensor` from N(mean, std^2).
void normal_(Tensor& tensor, double mean = 0.0, double std = 1.0,
             Generator& generator = default_generator());
/// Fills `tensor` with `value`.
void constant_(Tensor& tensor, double value);
/// Fills `tensor` with 0.
void zeros_(Tensor& tensor);
/// Fills `tensor` with 1.
void ones_(Tensor& tensor);

/// Glorot and Bengio's uniform initialisation: U(-a, a) with
/// a = gain * sqrt(6 / (fan_in + fan_out)).
/// @throws recur::ValueError for fewer than 2 dimensions.
void xavier_uniform_(Tensor& tensor, double gain = 1.0,
                     Generator& generator = default_generator());
/// Glorot and Bengio's normal initialisation: N(0, std^2) with
/// std = gain * sqrt(2 / (fan_in + fan_out)).
/// @throws recur::ValueError for fewer than 2 dimensions.
void xavier_normal_(Tensor& tensor, double gain = 1.0,
                    Generator& generator = default_generator());

/// He et al.'s uniform initialisation: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain
/// = calculate_gain(nonlinearity, a). With a = sqrt(5) this is torch.nn.Linear's default,
/// U(-1/sqrt(in), 1/sqrt(in)).
/// @param tensor The weight. @param a The negative slope of the leaky_relu after the layer.
/// @param mode Which fan to divide by. @param nonlinearity The nonlinearity after the layer.
/// @param generator The source of the numbers.
/// @throws recur::ValueError for fewer than 2 dimensions.
void kaiming_uniform_(Tensor& tensor, double a = 0.0, FanMode mode = FanMode::fan_in,
                      Nonlinearity nonlinearity = Nonlinearity::leaky_relu,
                      Generator& generator = default_generator());
/// He et al.'s normal initialisation: N(0, std^2) with std = gain / sqrt(fan), gain =
/// calculate_gain(nonlinearity, a).
/// @param tensor The weight. @param a The negative slope of the leaky_relu after the layer.
/// @param mode Which fan to divide by. @param nonlinearity The nonlinearity after the layer.
/// @param generator The source of the numbers.
/// @throws recur::ValueError for fewer than 2 dimensions.
void kaiming_normal_(Tensor& tensor, double a = 0.0, FanMode mode = FanMode::fan_in,
                     Nonlinearity nonlinearity = Nonlinearity::leaky_relu,
                     Generator& generator = default_generator());

/// Saxe et al.'s (semi-)orthogonal initialisation, torch.nn.init.orthogonal_: the tensor viewed
/// as [shape[0], rest] gets orthonormal rows (when it is wide) or columns (when it is tall),
/// times `gain`; the Q of a QR decomposition of a normal matrix, with the signs that make R's
/// diagonal positive, so the result is uniformly distributed over such matrices.
/// @throws recur::ValueError for fewer than 2 dimensions.
void orthogonal_(Tensor& tensor, double gain = 1.0, Generator& generator = default_generator());

/// @name The same for a parameter (a module's weight), which also bumps its version
/// @{

/// uniform_() on `parameter.value`.
void uniform_(Parameter& parameter, double a = 0.0, double b = 1.0,
              Generator& generator = default_generator());
/// normal_() on `parameter.value`.
void normal_(Parameter& parameter, double mean = 0.0, double std = 1.0,
             Generator& generator = default_generator());
/// constant_() on `parameter.value`.
void constant_(Parameter& parameter, double value);
/// zeros_() on `parameter.value`.
void zeros_(Parameter& parameter);
/// ones_() on `parameter.value`.
void ones_(Parameter& parameter);
/// xavier_uniform_() on `parameter.value`.
void xavier_uniform_(Parameter& parameter, double gain = 1.0,
                     Generator& generator = default_generator());
/// xavier_normal_() on `parameter.value`.
void xavier_normal_(Parameter& parameter, double gain = 1.0,
                    Generator& generator = default_generator());
/// kaiming_uniform_() on `parameter.value`.
void kaiming_uniform_(Parameter& parameter, double a = 0.0, FanMode mode = FanMode::fan_in,
                      Nonlinearity nonlinearity = Nonlinearity::leaky_relu,
                      Generator& generator = default_generator());
/// kaiming_normal_() on `parameter.value`.
void kaiming_normal_(Parameter& parameter, double a = 0.0, FanMode mode = FanMode::fan_in,
                     Nonlinearity nonlinearity = Nonlinearity::leaky_relu,
                     Generator& generator = default_generator());
/// orthogonal_() on `parameter.value`.
void orthogonal_(Parameter& parameter, double gain = 1.0,
                 Generator& generator = default_generator());
/// @}

}  // namespace recur::nn::init

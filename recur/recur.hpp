/// @file
/// The umbrella header: everything recur offers, in one include.
#pragma once

#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/npy.hpp"
#include "core/npz.hpp"
#include "core/random.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"

#include "autograd/gradcheck.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/parameter.hpp"
#include "autograd/recorder.hpp"
#include "autograd/tape.hpp"
#include "autograd/var.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "layers/module.hpp"
#include "layers/cells.hpp"
#include "layers/rnn.hpp"
#include "layers/lstm.hpp"
#include "layers/gru.hpp"

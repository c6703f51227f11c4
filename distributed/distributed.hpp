/// @file
/// Data-parallel training over MPI in one include: every rank holds the whole model, works on
/// its shard of each batch, and the gradients are averaged before the optimiser's step.
/// See docs/distributed.md.
#pragma once

#include "distributed/communicator.hpp"
#include "distributed/gradients.hpp"
#include "distributed/root_only.hpp"
#include "distributed/shard.hpp"

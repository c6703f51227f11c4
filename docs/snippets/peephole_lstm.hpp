// The worked example of the manual's "Writing a recurrent cell": the peephole LSTM, declared
// once as its step. The declaration lives in the zoo (layers/zoo/peephole_lstm.hpp, whose
// nn::PeepholeLSTM layer runs it); writing_a_cell.cpp (a doc snippet run as a test), tests and
// bench/recur_bench (--cell peephole) use it under this short name, as a user's own cell.
#pragma once

#include "layers/zoo/peephole_lstm.hpp"

using PeepholeLSTM = recur::nn::cells::PeepholeLSTM;

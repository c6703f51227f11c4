/// @file
/// The exceptions recur throws. Every failure a user can cause is a recur::Error whose message
/// names the operation and the offending shapes, names or path.
#pragma once

#include <stdexcept>
#include <string>

namespace recur {

/// Base of every error recur reports; catch this to handle them all.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Operands whose shapes do not fit: `matmul: cannot multiply [32, 64] by [128, 256]`.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A value out of its allowed range: a token index past the vocabulary, a negative size.
class ValueError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read or written, or whose contents are not what was expected.
class IoError : public Error {
 public:
  using Error::Error;
};

/// Misuse of the tape: a Var from a cleared tape, backward on a value with no gradient path,
/// a parameter changed between the forward pass and backward.
class TapeError : public Error {
 public:
  using Error::Error;
};

}  // namespace recur

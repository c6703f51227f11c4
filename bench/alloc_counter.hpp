// Counts heap allocations made anywhere in the process (recur, xtensor, OpenBLAS, libstdc++):
// the bench executable defines malloc, calloc, realloc, posix_memalign, aligned_alloc and
// operator new itself, so the dynamic linker binds every caller to these definitions, which
// count and forward to glibc's __libc_* entry points. No LD_PRELOAD needed.
#pragma once

#include <cstdint>

namespace recur_bench {

/// Allocations made by this process since it started.
std::uint64_t allocation_count();

}  // namespace recur_bench

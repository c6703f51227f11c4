# recur::distributed, data-parallel training (distributed/). A library of its own so that the
# core library never depends on MPI. With RECUR_WITH_MPI off it still builds, as a one-process
# stand-in (rank 0 of 1, collectives are no-ops), so programs that use it need no #ifdef.
file(GLOB RECUR_DISTRIBUTED_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/distributed/*.cpp)
add_library(recur_distributed SHARED ${RECUR_DISTRIBUTED_SOURCES})
add_library(recur::distributed ALIAS recur_distributed)
set_target_properties(recur_distributed PROPERTIES VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR} EXPORT_NAME distributed)
target_link_libraries(recur_distributed PUBLIC recur::recur)
target_compile_options(recur_distributed PRIVATE -Wall -Wextra)
target_precompile_headers(recur_distributed PRIVATE ${PROJECT_SOURCE_DIR}/core/pch.hpp)
if(RECUR_WITH_MPI)
  # Private: mpi.h stays inside distributed/*.cpp, users of the headers need no MPI flags.
  target_link_libraries(recur_distributed PRIVATE MPI::MPI_C)
  target_compile_definitions(recur_distributed PRIVATE RECUR_DISTRIBUTED_MPI)
  # Programs may want to know (e.g. to print it), not to choose code paths.
  target_compile_definitions(recur_distributed PUBLIC RECUR_WITH_MPI)
endif()

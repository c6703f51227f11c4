# The library target recur::recur: every .cpp under the four library folders.
file(GLOB RECUR_SOURCES CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/core/*.cpp
  ${PROJECT_SOURCE_DIR}/core/kernels/*.cpp
  ${PROJECT_SOURCE_DIR}/autograd/*.cpp
  ${PROJECT_SOURCE_DIR}/autograd/ops/*.cpp
  ${PROJECT_SOURCE_DIR}/autograd/recurrence/*.cpp
  ${PROJECT_SOURCE_DIR}/layers/*.cpp
  ${PROJECT_SOURCE_DIR}/layers/zoo/*.cpp
  ${PROJECT_SOURCE_DIR}/optim/*.cpp)

add_library(recur SHARED ${RECUR_SOURCES})
add_library(recur::recur ALIAS recur)
# Before 1.0 every minor version may change the ABI (0.2 changed recur::Shape, and with it every
# exported signature that takes a shape), so the soname carries major.minor: librecur.so.0.2.
set_target_properties(recur PROPERTIES VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR} EXPORT_NAME recur)
target_include_directories(recur PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
  $<INSTALL_INTERFACE:include>
  $<INSTALL_INTERFACE:include/recur>)
# Public: xsimd changes xtensor's default allocator, so every translation unit that sees a Tensor
# must agree on the define and on the instruction set.
target_compile_features(recur PUBLIC cxx_std_20)
target_compile_definitions(recur PUBLIC XTENSOR_USE_XSIMD)
target_compile_options(recur PUBLIC -march=${RECUR_ARCH})
target_compile_options(recur PRIVATE -Wall -Wextra)
target_include_directories(recur PRIVATE ${OPENBLAS_INCLUDE_DIR})
target_link_libraries(recur PUBLIC xtensor xsimd PRIVATE ${BLAS_LIBRARIES} PkgConfig::LIBZIP)
target_precompile_headers(recur PRIVATE ${PROJECT_SOURCE_DIR}/core/pch.hpp)

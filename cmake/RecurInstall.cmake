# cmake --install puts the library, its headers and a package config so that another project can
# find_package(recur) and link recur::recur.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS recur EXPORT recurTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# core/kernels/ (packed products, register tiles) and autograd/recurrence/ (the recurrence op's
# buffers and passes) are the library's own business, not an interface: their headers stay out
# of the installed tree.
foreach(dir core autograd layers optim recur)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/recur/${dir}
          FILES_MATCHING PATTERN "*.hpp" PATTERN "pch.hpp" EXCLUDE PATTERN "kernels" EXCLUDE
          PATTERN "recurrence" EXCLUDE)
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/recur/recur.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/recur)
install(EXPORT recurTargets NAMESPACE recur:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/recur)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/recurConfig.cmake.in
  ${PROJECT_BINARY_DIR}/recurConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/recur)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/recurConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/recurConfig.cmake ${PROJECT_BINARY_DIR}/recurConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/recur)

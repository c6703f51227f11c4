# The docs target: Doxygen over the public headers and docs/*.md, warnings are errors.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(RECUR_HAVE_DOT NO)
  if(DOXYGEN_DOT_FOUND)
    set(RECUR_HAVE_DOT YES)
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Building the HTML manual in ${PROJECT_BINARY_DIR}/docs/html"
    VERBATIM)
endif()

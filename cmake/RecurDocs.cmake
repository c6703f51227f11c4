# The docs target: Doxygen over the public headers and docs/*.md, warnings are errors. Formulas
# are typeset by MathJax from Debian's libjs-mathjax, which the manual links to as html/mathjax
# (no CDN, no download), so the target needs that package too.
find_package(Doxygen QUIET)
find_path(RECUR_MATHJAX_DIR MathJax.js PATHS /usr/share/javascript/mathjax NO_DEFAULT_PATH)
if(DOXYGEN_FOUND AND NOT RECUR_MATHJAX_DIR)
  message(STATUS "docs: no MathJax (apt-get install libjs-mathjax); no docs target")
elseif(DOXYGEN_FOUND)
  set(RECUR_HAVE_DOT NO)
  if(DOXYGEN_DOT_FOUND)
    set(RECUR_HAVE_DOT YES)
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
  set(html ${PROJECT_BINARY_DIR}/docs/html)
  # The output starts empty, so that no page of an earlier build (a page since renamed or
  # deleted) stays behind for the link check to read or a reader to find.
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${html}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${html}
    COMMAND ${CMAKE_COMMAND} -E create_symlink ${RECUR_MATHJAX_DIR} ${html}/mathjax
    COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Building the HTML manual in ${html}"
    VERBATIM)
endif()

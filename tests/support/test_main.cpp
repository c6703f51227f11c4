// The Boost.Test entry point shared by every suite; the suite's name comes from CMake.
#define BOOST_TEST_MODULE RECUR_TEST_SUITE_NAME
#include <boost/test/unit_test.hpp>

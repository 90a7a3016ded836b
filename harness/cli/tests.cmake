# CLI tests: shell scripts in harness/cli/tests/ that drive the built `distspec` executable.
# Cases that start erl carry the label `beam`; the others are `unit`.
if(NOT DISTSPEC_TESTS)
  return()
endif()
set(term_test ${CMAKE_CURRENT_SOURCE_DIR}/tests/cmd_term_test.sh)
foreach(case usage reject roundtrip)
  add_test(NAME cli.term.${case} COMMAND sh ${term_test} ${case} $<TARGET_FILE:distspec>)
  set_tests_properties(cli.term.${case} PROPERTIES LABELS unit)
endforeach()
add_test(NAME cli.term.beam COMMAND sh ${term_test} beam $<TARGET_FILE:distspec> ${ERL_EXECUTABLE})
set_tests_properties(cli.term.beam PROPERTIES LABELS beam TIMEOUT 120)

# distspec_layer(NAME <layer> [DEPS <targets>...])
#
# One library per harness layer: harness/<layer>/src/*.cpp, public headers in
# harness/<layer>/include/distspec/<layer>/. Tests: harness/<layer>/tests/<module>_test.cpp are unit
# tests (label `unit`); <module>_beam_test.cpp start real epmd/BEAM processes (label `beam`).
include(GoogleTest)

function(distspec_layer)
  cmake_parse_arguments(L "" "NAME" "DEPS;TEST_DEPS" ${ARGN})
  set(target distspec_${L_NAME})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  if(NOT sources)  # a layer that has no code yet
    return()
  endif()
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                         PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${L_DEPS})

  if(DISTSPEC_TESTS)
    file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/*_test.cpp)
    file(GLOB test_support CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/support/*.cpp)
    foreach(test_file ${tests})
      get_filename_component(test_name ${test_file} NAME_WE)
      set(exe ${L_NAME}_${test_name})
      add_executable(${exe} ${test_file} ${test_support})
      target_include_directories(${exe} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src
                                                ${CMAKE_CURRENT_SOURCE_DIR}/tests)
      target_link_libraries(${exe} PRIVATE ${target} ${L_TEST_DEPS} GTest::gtest_main GTest::gmock)
      target_compile_definitions(${exe} PRIVATE
        DISTSPEC_SHARED_DIR="${DISTSPEC_SHARED_DIR}"
        DISTSPEC_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
        DISTSPEC_BINARY_DIR="${CMAKE_BINARY_DIR}"
        ERL_EXECUTABLE="${ERL_EXECUTABLE}")
      if(test_name MATCHES "_beam_test$")
        set(label beam)
      else()
        set(label unit)
      endif()
      gtest_discover_tests(${exe} TEST_PREFIX "${L_NAME}." PROPERTIES LABELS ${label}
                           DISCOVERY_TIMEOUT 60)
    endforeach()
  endif()
endfunction()
